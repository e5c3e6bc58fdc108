/**
 * The `blobs` table: JSON texts keyed by the hash of their text (`jsonText`), each stored once — checkpoint
 * outputs, run parameters, a stage's recordings and their large values.
 *
 * **When to use**: inside `SqlRunStore` only. `put` inside the caller's transaction, then `confirm` what it
 * returned once that transaction committed; `get` reads texts back parsed (and remembered by `jsonText`, so
 * writing a value read here again costs no hashing).
 *
 * **Gotchas**
 * - Blobs are never deleted: a hash once confirmed stays stored, which is what lets `put` skip the hashes this
 *   store has already written or read without asking the database.
 * - A missing or unparsable blob fails with `StoreError` naming the hash (a database edited by hand).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlError from "effect/sql/SqlError"
import type * as Schema from "effect/Schema"
import { type JsonText, rememberJsonText, StoreError } from "@council/engine"
import type * as FixedStatements from "./FixedStatements.ts"

/** Parameters per statement: well under SQLite's and PostgreSQL's limits. */
const CHUNK = 200

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** How many hashes `known` remembers before it starts over (each costs ~100 bytes). */
const KNOWN_LIMIT = 200_000

export interface Blobs {
  /** Inserts the texts not known to be stored; the hashes to `confirm` once the transaction commits. */
  readonly put: (texts: ReadonlyArray<JsonText>) => Effect.Effect<ReadonlyArray<string>, SqlError.SqlError>
  readonly confirm: (hashes: ReadonlyArray<string>) => void
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
      statement = prepare(`INSERT INTO blobs (hash, body) VALUES ${Array(n).fill("(?, ?)").join(", ")} ON CONFLICT (hash) DO NOTHING`)
      inserts.set(n, statement)
    }
    return statement
  }
  const selects = new Map<number, FixedStatements.Statement>()
  const select = (n: number) => {
    let statement = selects.get(n)
    if (statement === undefined) {
      statement = prepare(`SELECT hash, body FROM blobs WHERE hash IN (${Array(n).fill("?").join(", ")})`)
      selects.set(n, statement)
    }
    return statement
  }

  const put = (texts: ReadonlyArray<JsonText>) =>
    Effect.suspend(() => {
      const fresh = new Map<string, string>()
      for (const { hash, text } of texts) if (!known.has(hash)) fresh.set(hash, text)
      if (fresh.size === 0) return Effect.succeed([])
      const rows = [...fresh]
      return Effect.as(
        Effect.forEach(chunks(rows, CHUNK / 2), (chunk) => insert(chunk.length)(...chunk.flat()), { discard: true }),
        [...fresh.keys()]
      )
    })

  const get = (operation: string, hashes: Iterable<string>) =>
    Effect.gen(function*() {
      const wanted = [...new Set(hashes)]
      const values = new Map<string, Schema.Json>()
      for (const chunk of chunks(wanted, CHUNK)) {
        for (const row of yield* select(chunk.length)(...chunk)) {
          const hash = String(row["hash"])
          const text = String(row["body"])
          const value = yield* Effect.try({
            try: (): Schema.Json => JSON.parse(text),
            catch: () => new StoreError({ operation, message: `stored blob ${hash} is not JSON` })
          })
          rememberJsonText(value, { text, hash })
          values.set(hash, value)
          remember(hash)
        }
      }
      const missing = wanted.find((hash) => !values.has(hash))
      if (missing !== undefined) return yield* new StoreError({ operation, message: `stored blob ${missing} is missing` })
      return values
    })

  return { put, confirm: (hashes) => hashes.forEach(remember), get }
}
