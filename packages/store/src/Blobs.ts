/**
 * The `blobs` table: JSON texts keyed by the hash of their text (`jsonText`), each stored once — checkpoint
 * outputs, run parameters, a stage's recordings and their large values. A large text written in a `slot` (say,
 * one stage's output) is stored as a delta (`TextDelta`) of the slot's previous text when that is much smaller:
 * a market snapshot whose window slid by one session costs the new bars, not the whole window.
 *
 * **When to use**: inside `SqlRunStore` only. `put` inside the caller's transaction, then `confirm` what it
 * returned once that transaction committed; `get` reads texts back parsed (and remembered by `jsonText`, so
 * writing a value read here again costs no hashing).
 *
 * **Gotchas**
 * - Blobs are never deleted: a hash once confirmed stays stored, which is what lets `put` skip the hashes this
 *   store has already written or read without asking the database.
 * - A missing or unparsable blob fails with `StoreError` naming the hash (a database edited by hand).
 * - A body of `DEFLATE_MIN` characters or more (a whole text or a delta) is stored deflated, as base64 text (`z`).
 * - A delta's base is a blob confirmed earlier (blobs are never deleted); chains are at most `MAX_DEPTH` long, and
 *   a process starts every slot afresh (its first text in a slot is stored whole). A slot's base moves on only
 *   when `confirm` says the transaction that wrote it committed.
 *
 * @since 0.1.0
 */
import { deflateRawSync, inflateRawSync } from "node:zlib"
import * as Effect from "effect/Effect"
import type * as SqlError from "effect/sql/SqlError"
import type * as Schema from "effect/Schema"
import { type JsonText, rememberJsonText, StoreError, textHash } from "@council/engine"
import type * as FixedStatements from "./FixedStatements.ts"
import * as TextDelta from "./TextDelta.ts"

/** Parameters per statement: well under SQLite's and PostgreSQL's limits. */
const CHUNK = 200

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** How many hashes `known` remembers before it starts over (each costs ~100 bytes). */
const KNOWN_LIMIT = 200_000

/** Texts at least this long, written in a slot, may be stored as a delta. */
const DELTA_MIN = 1024
/** The longest chain of deltas before a text is stored whole again. */
const MAX_DEPTH = 128
/** Bodies at least this long are stored deflated (`z` = 1: base64 of raw deflate). */
const DEFLATE_MIN = 512

/** A text to store; `slot` names the place it is written in (a stage's output, …), so the next can be a delta. */
export interface Put {
  readonly text: JsonText
  readonly slot?: string
}

interface SlotState {
  readonly base: TextDelta.Base
  readonly hash: string
  readonly depth: number
}

export interface Blobs {
  /** Inserts the texts not known to be stored; the hashes to `confirm` once the transaction commits. */
  readonly put: (texts: ReadonlyArray<Put>) => Effect.Effect<ReadonlyArray<string>, SqlError.SqlError>
  readonly confirm: (hashes: ReadonlyArray<string>) => void
  /** Forgets what an uncommitted transaction wrote (it rolled back). */
  readonly abandon: () => void
  /** The values of `hashes`, parsed. */
  readonly get: (operation: string, hashes: Iterable<string>) => Effect.Effect<ReadonlyMap<string, Schema.Json>, SqlError.SqlError | StoreError>
}

export const make = ({ prepare }: ReturnType<typeof FixedStatements.make>): Blobs => {
  const known = new Set<string>()
  const remember = (hash: string) => {
    if (known.size >= KNOWN_LIMIT) known.clear()
    known.add(hash)
  }
  const inserts = new Map<number, FixedStatements.Statement>()
  const insert = (n: number) => {
    let statement = inserts.get(n)
    if (statement === undefined) {
      statement = prepare(`INSERT INTO blobs (hash, body, base, z) VALUES ${Array(n).fill("(?, ?, ?, ?)").join(", ")} ON CONFLICT (hash) DO NOTHING`)
      inserts.set(n, statement)
    }
    return statement
  }
  const selects = new Map<number, FixedStatements.Statement>()
  const select = (n: number) => {
    let statement = selects.get(n)
    if (statement === undefined) {
      statement = prepare(`SELECT hash, body, base, z FROM blobs WHERE hash IN (${Array(n).fill("?").join(", ")})`)
      selects.set(n, statement)
    }
    return statement
  }

  const slots = new Map<string, SlotState>()
  /** Written by the open transaction: stored once it commits, so not written again meanwhile. */
  const inFlight = new Set<string>()
  /** Slot states waiting for their transaction to commit, by the hash that moves the slot. */
  const pending = new Map<string, { readonly slot: string; readonly state: SlotState }>()

  /** The row of a text — hash, body, base, z — with its body deflated when long. */
  const rowOf = (put: Put): readonly [string, string, string | null, number] => {
    const [hash, body, base] = plainRowOf(put)
    return body.length < DEFLATE_MIN ? [hash, body, base, 0] : [hash, deflateRawSync(body).toString("base64"), base, 1]
  }

  /** The row of a text: whole, or a delta of its slot's previous text when that is less than half its size. */
  const plainRowOf = ({ slot, text }: Put): readonly [string, string, string | null] => {
    if (slot === undefined || text.text.length < DELTA_MIN) return [text.hash, text.text, null]
    const previous = slots.get(slot)
    const whole = { slot, state: { base: TextDelta.base(text.text), hash: text.hash, depth: 0 } }
    if (previous !== undefined && previous.depth < MAX_DEPTH) {
      const delta = JSON.stringify(TextDelta.diff(previous.base, text.text))
      if (delta.length * 2 < text.text.length) {
        pending.set(text.hash, { slot, state: { ...whole.state, depth: previous.depth + 1 } })
        return [text.hash, delta, previous.hash]
      }
    }
    pending.set(text.hash, whole)
    return [text.hash, text.text, null]
  }

  const put = (texts: ReadonlyArray<Put>) =>
    Effect.suspend(() => {
      const fresh = new Map<string, Put>()
      for (const item of texts) {
        const hash = item.text.hash
        if (!known.has(hash) && !inFlight.has(hash) && !fresh.has(hash)) fresh.set(hash, item)
      }
      if (fresh.size === 0) return Effect.succeed([])
      for (const hash of fresh.keys()) inFlight.add(hash)
      const rows = [...fresh.values()].map(rowOf)
      return Effect.as(
        Effect.forEach(chunks(rows, Math.floor(CHUNK / 4)), (chunk) => insert(chunk.length)(...chunk.flat()), { discard: true }),
        [...fresh.keys()]
      )
    })

  const confirm = (hashes: ReadonlyArray<string>) => {
    for (const hash of hashes) {
      remember(hash)
      inFlight.delete(hash)
      const moved = pending.get(hash)
      if (moved === undefined) continue
      slots.set(moved.slot, moved.state)
      pending.delete(hash)
    }
  }

  /** The stored rows of `hashes` and of every base their deltas need. */
  const rowsOf = (hashes: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const rows = new Map<string, { readonly body: string; readonly base: string | null; readonly deflated: boolean }>()
      let wanted = hashes
      while (wanted.length > 0) {
        for (const chunk of chunks(wanted, CHUNK)) {
          for (const row of yield* select(chunk.length)(...chunk)) {
            rows.set(String(row["hash"]), {
              body: String(row["body"]),
              base: row["base"] === null ? null : String(row["base"]),
              deflated: Number(row["z"]) === 1
            })
          }
        }
        wanted = [...new Set([...rows.values()].flatMap((r) => (r.base !== null && !rows.has(r.base) ? [r.base] : [])))]
      }
      return rows
    })

  const get = (operation: string, hashes: Iterable<string>) =>
    Effect.gen(function*() {
      const wanted = [...new Set(hashes)]
      const rows = yield* rowsOf(wanted)
      const texts = new Map<string, string>()
      /** The text of `hash`, its delta applied to its base's text (bounded by `MAX_DEPTH` + 1 levels when written here). */
      const textOf = (hash: string, depth: number): string | StoreError => {
        const known = texts.get(hash)
        if (known !== undefined) return known
        const row = rows.get(hash)
        if (row === undefined) return new StoreError({ operation, message: `stored blob ${hash} is missing` })
        let body = row.body
        if (row.deflated) {
          try {
            body = inflateRawSync(Buffer.from(row.body, "base64")).toString("utf8")
          } catch {
            return new StoreError({ operation, message: `stored blob ${hash} does not inflate` })
          }
        }
        if (row.base === null) return body
        const base = depth > MAX_DEPTH * 4 ? new StoreError({ operation, message: `stored blob ${hash}: its deltas do not end` }) : textOf(row.base, depth + 1)
        if (typeof base !== "string") return base
        let delta: unknown
        try {
          delta = JSON.parse(body)
        } catch {
          return new StoreError({ operation, message: `stored blob ${hash} is not JSON` })
        }
        const text = TextDelta.apply(base, delta)
        if (text === undefined || textHash(text) !== hash) return new StoreError({ operation, message: `stored blob ${hash} does not rebuild` })
        texts.set(hash, text)
        return text
      }
      const values = new Map<string, Schema.Json>()
      for (const hash of wanted) {
        const text = textOf(hash, 0)
        if (typeof text !== "string") return yield* text
        const value = yield* Effect.try({
          try: (): Schema.Json => JSON.parse(text),
          catch: () => new StoreError({ operation, message: `stored blob ${hash} is not JSON` })
        })
        rememberJsonText(value, { text, hash })
        values.set(hash, value)
        remember(hash)
      }
      return values
    })

  const abandon = () => {
    inFlight.clear()
    pending.clear()
  }

  return { put, confirm, abandon, get }
}
