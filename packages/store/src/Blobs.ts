/**
 * The `blobs` table: JSON texts keyed by the hash of their text (`jsonText`), each stored once — checkpoint
 * outputs, run parameters, a stage's recordings and their large values. A text written in a `slot` (say, one
 * stage's output) is compressed with zstd using the slot's previous text as the dictionary: a market snapshot
 * whose window slid by one session costs about the new bars, and a small text costs what differs from the last.
 *
 * **When to use**: inside `SqlRunStore` only. `put` inside the caller's transaction, then `confirm` what it
 * returned once that transaction committed; `get` reads texts back parsed (and remembered by `jsonText`, so
 * writing a value read here again costs no hashing).
 *
 * **Details** (migrations `0008_content_addressed`, `0009_binary_blobs`): a row is `hash, body, data, base, z`.
 * `z` = 0: `body` is the text (`base` set: a `TextDelta` of the base's text, as 0008 wrote); `z` = 1: `body` is
 * base64 of the raw deflate of that (0008); `z` = 2: `data` is the text compressed with zstd, its dictionary the
 * texts of the hashes in `base` one after the other (none, the slot's previous text, and/or a `sibling`: say, a
 * checkpoint's output is compressed against its stage's recordings of the same commit too, unless they are over
 * `SIBLING_MAX_RATIO` times its length); `z` = 3: `data` is a
 * `ByteDelta` of the one base's text, compressed with zstd alone — how a large text that mostly repeats its
 * slot's previous one is written (a slid market window: loading 200 KB as a zstd dictionary costs several times
 * more than finding the delta; a delta whose literals pass `DELTA_BUDGET` of the text is not kept: zstd as
 * `z` = 2 then), and how a small text `put` as `repeats` is written when its delta is a few bytes (the zstd frame
 * then holds the delta as it is: `rawFrame`, read as any other). On SQLite hashes are stored as 16 bytes each (`base` holds one or two), on PostgreSQL as hex.
 *
 * **Gotchas**
 * - Blobs are never deleted: a hash once confirmed stays stored, which is what lets `put` skip the hashes this
 *   store has already written or read without asking the database, and a text name its base.
 * - A missing or unreadable blob, or one whose text has another hash than its key (edited by hand, rotted on disk,
 *   or rebuilt from a damaged base), fails with `StoreError` naming the hash, and what it holds when the caller
 *   says: a damaged recording never replays as "identical", nor is exported under a new hash. Each text is hashed
 *   when first read (SHA-256 of the bytes zstd gives back, ~1 ms per 500 KB), and again once it left the texts kept
 *   decoded (16 MB: `RecentTextBytes`); a text only read as another's base is checked through that other's hash.
 * - Chains are at most `MAX_DEPTH` long (reading a text decompresses its chain), and a process starts every slot
 *   afresh (its first text in a slot is compressed alone). A slot moves on only when `confirm` says the
 *   transaction that wrote it committed.
 *
 * @since 0.1.0
 */
import { constants, inflateRawSync, zstdCompressSync, zstdDecompressSync } from "node:zlib"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as SqlError from "effect/sql/SqlError"
import type * as Schema from "effect/Schema"
import { bytesHash, type JsonText, rememberJsonText, StoreError, textHash, utf8Of } from "@council/engine"
import type * as FixedStatements from "./FixedStatements.ts"
import * as ByteDelta from "./ByteDelta.ts"
import * as TextDelta from "./TextDelta.ts"

/** Parameters per statement: well under SQLite's and PostgreSQL's limits. */
const CHUNK = 200

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** How many hashes `known` remembers before it starts over (each costs ~100 bytes: `knownHashes`). */
const KNOWN_LIMIT = 200_000

/** Texts shorter than this are stored as they are. */
const COMPRESS_MIN = 64
/** The longest chain of dictionaries before a text is compressed alone again. */
const MAX_DEPTH = 128
/**
 * zstd's level: 8 compresses a backtest's texts (against their dictionaries) ~6 % smaller than 5, which was ~10 %
 * smaller than the default 3, in about the same time; 9 gains 1 % more at 2–3 times the time.
 */
const ZSTD_PARAMS = { [constants.ZSTD_c_compressionLevel]: 8 }

/**
 * A sibling longer than this many times the text is not used: loading a dictionary costs about its length, and a
 * short text gains little from a long one (a 17 KB list of recordings for a 0.8 KB output: ×4 the time, same size).
 */
const SIBLING_MAX_RATIO = 4

/** A text this long (UTF-8 bytes) with a previous one in its slot, and no sibling, is first tried as a `ByteDelta`. */
const DELTA_MIN = 32 * 1024
/** The share of a text a `ByteDelta`'s literals may hold before it is given up for zstd against the previous. */
const DELTA_BUDGET = 1 / 16

/**
 * A text `put` as `repeats` whose `ByteDelta` of its slot's previous text is at most this many bytes is stored as
 * that delta in a zstd frame written here, its one block raw (`rawFrame`): a backtest session's parameters repeat the
 * last session's but for its moment, ~20 bytes compressed either way, and compressing 2.5 KB against a dictionary
 * cost 100–200 µs a session where finding the delta costs a few.
 */
const RAW_DELTA_MAX = 48

/** How much decoded text `get` keeps for the next reads (UTF-16 code units or bytes), unless `RecentTextBytes` says. */
export const RECENT_BYTES = 16 * 1024 * 1024

/**
 * How much decoded text a store's reads keep (`RECENT_BYTES` unless provided), read by `SqlRunStore.make`: tests of
 * what happens once texts leave it provide a small one instead of writing 16 MB.
 */
export const RecentTextBytes = Context.Reference<number>("@council/store/RecentTextBytes", { defaultValue: () => RECENT_BYTES })

/** How a row's body is stored (`z`). */
const PLAIN = 0
const DEFLATED = 1
const ZSTD = 2
const ZSTD_DELTA = 3

/**
 * A text to store; `slot` names the place it is written in (a stage's output, …), so the next can use it;
 * `sibling`, a text of the same `put` whose content this one likely repeats (used when it is stored too).
 */
export interface Put {
  readonly text: JsonText
  readonly slot?: string
  readonly sibling?: JsonText
  /**
   * The slot's texts usually repeat the previous one but for a few bytes (a run's parameters): a small delta of it
   * is first looked for, and kept without compressing it (`RAW_DELTA_MAX`). Not worth it for texts that differ more:
   * the look costs ~10–20 µs before it gives up.
   */
  readonly repeats?: boolean
}

interface SlotState {
  /** The UTF-8 bytes of the slot's last text: the next one's dictionary. */
  readonly dictionary: Buffer
  readonly hash: string
  readonly depth: number
}

/** A stored row as read (`z` as above), its `base` as the hashes (hex) it names, in order. */
export interface Row {
  readonly body: string | null
  readonly data: Uint8Array | null
  readonly base: ReadonlyArray<string>
  readonly z: number
}

/** The hashes a `base` column names, given as hex (32 characters each); none for `null`. */
export const baseHashes = (hex: string | null): ReadonlyArray<string> => hex === null ? [] : hex.match(/.{32}/g) ?? []

/**
 * What a row holds, given what its bases hold: zstd rows give bytes (a next one's dictionary as it is), the
 * rows 0008 wrote give text; a message when it does not decode.
 */
const decodeRow = (row: Row, bases: ReadonlyArray<string | Buffer>): string | Buffer | { readonly problem: string } => {
  const bytes = (held: string | Buffer) => (typeof held === "string" ? Buffer.from(held) : held)
  try {
    if (row.z === ZSTD_DELTA && row.data !== null) {
      if (bases.length !== 1) return { problem: "has a delta of several bases" }
      return ByteDelta.apply(bytes(bases[0]!), zstdDecompressSync(row.data)) ?? { problem: "does not rebuild" }
    }
    if (row.z === ZSTD && row.data !== null) {
      if (bases.length === 0) return zstdDecompressSync(row.data)
      return zstdDecompressSync(row.data, { dictionary: bases.length === 1 ? bytes(bases[0]!) : Buffer.concat(bases.map(bytes)) })
    }
    if (row.body === null) return { problem: "has no body" }
    const body = row.z === DEFLATED ? inflateRawSync(Buffer.from(row.body, "base64")).toString("utf8") : row.body
    const [base, ...more] = bases
    if (base === undefined) return body
    if (more.length > 0) return { problem: "has a delta of several bases" }
    const text = TextDelta.apply(typeof base === "string" ? base : base.toString("utf8"), JSON.parse(body))
    return text ?? { problem: "does not rebuild" }
  } catch {
    return { problem: "does not decode" }
  }
}

/** The text of a row, given the texts of its bases; a message when it does not decode. */
export const textOfRow = (row: Row, baseTexts: ReadonlyArray<string>): string | { readonly problem: string } => {
  const decoded = decodeRow(row, baseTexts)
  return Buffer.isBuffer(decoded) ? decoded.toString("utf8") : decoded
}

/**
 * `bytes` as a zstd frame of one raw (stored, not compressed) block, as the format defines it: what `zstdDecompressSync`
 * gives back as they are. At most 255 bytes (`RAW_DELTA_MAX`): 9 bytes of framing.
 */
export const rawFrame = (bytes: Uint8Array): Buffer => {
  if (bytes.length > 255) throw new RangeError(`rawFrame holds at most 255 bytes, not ${bytes.length}`)
  // magic; frame header: single segment, a 1-byte content size; block header: last, raw, its size
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, bytes.length, 0, 0, 0])
  header.writeUIntLE(1 | (bytes.length << 3), 6, 3)
  return Buffer.concat([header, bytes])
}

/** `textHash` of a text as held: bytes zstd gave back are hashed as they are. */
const hashOf = (held: string | Buffer): string => (typeof held === "string" ? textHash(held) : bytesHash(held))

const NOT_JSON: unique symbol = Symbol("not JSON")
const parseJson = (text: string): Schema.Json | typeof NOT_JSON => {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

export interface Blobs {
  /** Inserts the texts not known to be stored; the hashes to `confirm` once the transaction commits. */
  readonly put: (texts: ReadonlyArray<Put>) => Effect.Effect<ReadonlyArray<string>, SqlError.SqlError>
  readonly confirm: (hashes: ReadonlyArray<string>) => void
  /** Forgets what an uncommitted transaction wrote (it rolled back). */
  readonly abandon: () => void
  /**
   * The values of `hashes`, parsed. `nameOf` says what a hash holds (`run R's checkpoint of S`), asked only when
   * it is missing or damaged, so the error names what is lost, not just a hash.
   */
  readonly get: (
    operation: string,
    hashes: Iterable<string>,
    nameOf?: (hash: string) => string
  ) => Effect.Effect<ReadonlyMap<string, Schema.Json>, SqlError.SqlError | StoreError>
}

const HEX_HASH = /^[0-9a-f]{32}$/

/**
 * A hash as the hash columns of SQLite store it (`0009_binary_blobs`, `0011_run_store_lean`): its 16 bytes; on
 * PostgreSQL, and for a value that is no such hash (an imported run's input hash), the text as it is.
 */
export const storedHash = (pg: boolean, hash: string): string | Uint8Array =>
  pg || !HEX_HASH.test(hash) ? hash : Buffer.from(hash, "hex")

/** A stored hash read back: bytes as hex, text as it is. */
export const hexOf = (stored: unknown): string =>
  stored instanceof Uint8Array ? Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString("hex") : String(stored)

/** The blob statements of each shape, compiled once: a multi-row insert of `n` rows, a select of `n` hashes. */
const blobStatements = (prepare: ReturnType<typeof FixedStatements.make>["prepare"]) => {
  const inserts = new Map<number, FixedStatements.Statement>()
  const selects = new Map<number, FixedStatements.Statement>()
  const cached = (statements: Map<number, FixedStatements.Statement>, n: number, text: () => string) => {
    let statement = statements.get(n)
    if (statement === undefined) statements.set(n, statement = prepare(text()))
    return statement
  }
  return {
    insert: (n: number) =>
      cached(inserts, n, () => `INSERT INTO blobs (hash, body, data, base, z) VALUES ${Array(n).fill("(?, ?, ?, ?, ?)").join(", ")} ON CONFLICT (hash) DO NOTHING`),
    select: (n: number) => cached(selects, n, () => `SELECT hash, body, data, base, z FROM blobs WHERE hash IN (${Array(n).fill("?").join(", ")})`)
  }
}

/**
 * `hash` as a string of its own: a hash `textHash` gives is a slice of the 64-character hex digest, and V8 keeps a
 * slice as a view that holds its whole parent alive (~150 bytes a hash instead of ~50).
 */
const ownString = (hash: string): string => JSON.parse(JSON.stringify(hash))

/**
 * The hashes known stored (confirmed written, or read), at most `KNOWN_LIMIT` of them: a backtest adds about 15 a
 * session, so each is kept as a string of its own (`ownString`), not as the slice of a digest it came as.
 */
const knownHashes = () => {
  const known = new Set<string>()
  return {
    has: (hash: string) => known.has(hash),
    remember: (hash: string) => {
      if (known.has(hash)) return
      if (known.size >= KNOWN_LIMIT) known.clear()
      known.add(ownString(hash))
    }
  }
}
type Known = ReturnType<typeof knownHashes>

/**
 * Texts decoded lately, by hash, least recent first (at most `limit` of them, `RECENT_BYTES` unless said): reading runs in order (a
 * backtest's sessions, a report's votes) finds the previous text of each chain here, so a text costs its own row
 * and its own decompression instead of its whole chain's, one statement per link.
 */
const recentTexts = (limit: number) => {
  const recent = new Map<string, string | Buffer>()
  /**
   * Those of `recent` whose hash has not been checked yet (read only as another's base so far), with the bases their
   * rows name: when one is read itself later, its damage is named as its own or its bases'.
   */
  const unchecked = new Map<string, ReadonlyArray<string>>()
  let recentBytes = 0
  const keep = (hash: string, held: string | Buffer) => {
    const before = recent.get(hash)
    if (before !== undefined) {
      recent.delete(hash)
      recentBytes -= before.length
    }
    recent.set(hash, held)
    recentBytes += held.length
    for (const [oldest, text] of recent) {
      if (recentBytes <= limit) break
      recent.delete(oldest)
      unchecked.delete(oldest)
      recentBytes -= text.length
    }
  }
  return {
    recent,
    unchecked,
    keep,
    /**
     * Whether `hash`'s text was checked against it: only while kept in `recent` (a text decoded as a base, then pushed
     * out by the texts decoded after it in the same read, or one longer than `recent` holds, is not known checked).
     */
    checked: (hash: string) => recent.has(hash) && !unchecked.has(hash)
  }
}
type Recent = ReturnType<typeof recentTexts>

/** A text's length: its bytes' when it has them (its text may not be built: a market snapshot), else its text's. */
const lengthOf = (text: JsonText): number => text.bytes?.length ?? text.text.length

/** `put`, `confirm` and `abandon` of `Blobs`: what is written, compressed against each slot's previous text. */
const blobWriter = (pg: boolean, key: (hash: string) => string | Uint8Array, statements: ReturnType<typeof blobStatements>, known: Known) => {
  const slots = new Map<string, SlotState>()
  /** Written by the open transaction: stored once it commits, so not written again meanwhile. */
  const inFlight = new Set<string>()
  /** Slot states waiting for their transaction to commit, by the hash that moves the slot. */
  const pending = new Map<string, { readonly slot: string; readonly state: SlotState }>()

  /**
   * The row values of a text — hash, body, data, base, z — compressed against its sibling (when given) and its
   * slot's previous text; `bytesOf` gives (and keeps) the UTF-8 of the call's texts.
   */
  const rowOf = ({ repeats, slot, text }: Put, offered: JsonText | undefined, bytesOf: (text: JsonText) => Buffer): ReadonlyArray<unknown> => {
    if (lengthOf(text) < COMPRESS_MIN) return [key(text.hash), text.text, null, null, PLAIN]
    const sibling = offered !== undefined && lengthOf(offered) <= lengthOf(text) * SIBLING_MAX_RATIO ? offered : undefined
    const bytes = bytesOf(text)
    const previous = slot === undefined ? undefined : slots.get(slot)
    const chained = previous !== undefined && previous.depth < MAX_DEPTH ? previous : undefined
    if (slot !== undefined) pending.set(text.hash, { slot, state: { dictionary: bytes, hash: text.hash, depth: chained === undefined ? 0 : chained.depth + 1 } })
    if (repeats === true && chained !== undefined) {
      const delta = ByteDelta.diff(chained.dictionary, bytes, RAW_DELTA_MAX)
      if (delta !== undefined && delta.length <= RAW_DELTA_MAX) return [key(text.hash), null, rawFrame(delta), key(chained.hash), ZSTD_DELTA]
    }
    const bases: Array<{ readonly hash: string; readonly bytes: Buffer }> = []
    if (sibling !== undefined && sibling.hash !== text.hash) bases.push({ hash: sibling.hash, bytes: bytesOf(sibling) })
    if (chained !== undefined && chained.hash !== sibling?.hash) bases.push({ hash: chained.hash, bytes: chained.dictionary })
    if (bases.length === 0) return [key(text.hash), null, zstdCompressSync(bytes, { params: ZSTD_PARAMS }), null, ZSTD]
    if (chained !== undefined && sibling === undefined && bytes.length >= DELTA_MIN) {
      const delta = ByteDelta.diff(chained.dictionary, bytes, bytes.length * DELTA_BUDGET)
      if (delta !== undefined) return [key(text.hash), null, zstdCompressSync(delta, { params: ZSTD_PARAMS }), key(chained.hash), ZSTD_DELTA]
    }
    const dictionary = bases.length === 1 ? bases[0]!.bytes : Buffer.concat(bases.map((b) => b.bytes))
    const base = pg ? bases.map((b) => b.hash).join("") : Buffer.from(bases.map((b) => b.hash).join(""), "hex")
    return [key(text.hash), null, zstdCompressSync(bytes, { params: ZSTD_PARAMS, dictionary }), base, ZSTD]
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
      const encoded = new Map<string, Buffer>()
      const bytesOf = (text: JsonText) => {
        let bytes = encoded.get(text.hash)
        if (bytes === undefined) encoded.set(text.hash, bytes = text.bytes ?? utf8Of(text.text))
        return bytes
      }
      // a sibling is a base only when surely stored: written by this statement, or confirmed earlier
      const stored = (sibling: JsonText | undefined) =>
        sibling !== undefined && (fresh.has(sibling.hash) || known.has(sibling.hash)) ? sibling : undefined
      const rows = [...fresh.values()].map((item) => rowOf(item, stored(item.sibling), bytesOf))
      return Effect.as(
        Effect.forEach(chunks(rows, Math.floor(CHUNK / 5)), (chunk) => statements.insert(chunk.length)(...chunk.flat()), { discard: true }),
        [...fresh.keys()]
      )
    })

  const confirm = (hashes: ReadonlyArray<string>) => {
    for (const hash of hashes) {
      known.remember(hash)
      inFlight.delete(hash)
      const moved = pending.get(hash)
      if (moved === undefined) continue
      slots.set(moved.slot, moved.state)
      pending.delete(hash)
    }
  }

  const abandon = () => {
    inFlight.clear()
    pending.clear()
  }

  return { put, confirm, abandon }
}

/**
 * The stored rows of `hashes` and of every base they need, but those decoded lately: these are put in `held`
 * for the read (decoding the others may push them out of `recent` before they are used).
 */
const storedRows = (
  key: (hash: string) => string | Uint8Array,
  statements: ReturnType<typeof blobStatements>,
  { recent }: Recent,
  hashes: ReadonlyArray<string>,
  held: Map<string, string | Buffer>
) =>
  Effect.gen(function*() {
    const rows = new Map<string, Row>()
    const isHeld = (hash: string) => {
      const text = recent.get(hash)
      if (text !== undefined) held.set(hash, text)
      return held.has(hash)
    }
    // asked once each: a base that is missing (a hand-edited database) ends the walk, `get` then says so
    const asked = new Set<string>()
    let wanted = hashes.filter((hash) => !isHeld(hash))
    while (wanted.length > 0) {
      for (const hash of wanted) asked.add(hash)
      for (const chunk of chunks(wanted, CHUNK)) {
        for (const row of yield* statements.select(chunk.length)(...chunk.map(key))) {
          const data = row["data"]
          rows.set(hexOf(row["hash"]), {
            body: typeof row["body"] === "string" ? row["body"] : null,
            data: data instanceof Uint8Array ? data : null,
            base: baseHashes(row["base"] === null ? null : hexOf(row["base"])),
            z: Number(row["z"])
          })
        }
      }
      wanted = [...new Set([...rows.values()].flatMap((r) => r.base.filter((base) => !asked.has(base) && !isHeld(base))))]
    }
    return rows
  })

/**
 * `get` of `Blobs`: the texts of `wanted`, each decoded from its row and its bases' texts and checked against its
 * hash; a damaged text is named by what it holds (`nameOf`) and, when it was rebuilt from a damaged base, that base
 * by what holds it (`holderOf`).
 */
const blobReader = (
  key: (hash: string) => string | Uint8Array,
  statements: ReturnType<typeof blobStatements>,
  known: Known,
  texts: Recent,
  holderOf: (hash: string) => Effect.Effect<string | undefined, SqlError.SqlError>
) =>
(operation: string, hashes: Iterable<string>, nameOf?: (hash: string) => string) =>
  Effect.gen(function*() {
    const { checked, keep, recent, unchecked } = texts
    const wanted = [...new Set(hashes)]
    const decoded = new Map<string, string | Buffer>()
    const rows = yield* storedRows(key, statements, texts, wanted, decoded)
    const failure = (hash: string, problem: string) => new StoreError({ operation, message: `stored blob ${hash} ${problem}`, kind: "damaged" })
    /** `error`, met reading `hash`, prefixed with what `hash` holds. */
    const within = (hash: string, error: StoreError) =>
      nameOf === undefined ? error : new StoreError({ operation, message: `${nameOf(hash)}: ${error.message}`, ...(error.kind === undefined ? {} : { kind: error.kind }) })
    /** What `hash` holds, its base's first (bounded by `MAX_DEPTH` + 1 levels when written here). */
    const decode = (hash: string, depth: number): string | Buffer | StoreError => {
      const done = decoded.get(hash) ?? recent.get(hash)
      if (done !== undefined) {
        decoded.set(hash, done)
        return done
      }
      const row = rows.get(hash)
      if (row === undefined) return failure(hash, "is missing")
      if (row.base.length > 0 && depth > MAX_DEPTH * 4) return failure(hash, "has deltas that do not end")
      const bases: Array<string | Buffer> = []
      for (const base of row.base) {
        const held = decode(base, depth + 1)
        if (held instanceof StoreError) return held
        bases.push(held)
      }
      const held = decodeRow(row, bases)
      if (typeof held !== "string" && !Buffer.isBuffer(held)) return failure(hash, held.problem)
      decoded.set(hash, held)
      keep(hash, held)
      if (recent.has(hash)) unchecked.set(hash, row.base)
      return held
    }
    /** The bases `hash`'s row names, as read now or when it was decoded as another's base. */
    const basesOf = (hash: string) => rows.get(hash)?.base ?? unchecked.get(hash) ?? []
    /** Of the bases `hash` was rebuilt from, the first whose text has another hash (the deepest such). */
    const damagedBase = (hash: string, depth: number): string | undefined => {
      for (const base of basesOf(hash)) {
        const held = decoded.get(base) ?? recent.get(base)
        if (held === undefined || checked(base) || depth > MAX_DEPTH * 4) continue
        if (hashOf(held) !== base) return damagedBase(base, depth + 1) ?? base
      }
      return undefined
    }
    /** Why `hash`, rebuilt from its bases, has another hash: a damaged base, named by what it holds, or itself. */
    const notRebuilt = (hash: string) =>
      Effect.gen(function*() {
        const base = damagedBase(hash, 0)
        if (base === undefined) return failure(hash, "does not rebuild")
        const holder = yield* holderOf(base)
        return failure(hash, `does not rebuild: it is compressed against ${holder === undefined ? "" : `${holder}, `}stored blob ${base}, which does not match its hash (edited or damaged)`)
      })
    const values = new Map<string, Schema.Json>()
    for (const hash of wanted) {
      const held = decode(hash, 0)
      if (held instanceof StoreError) return yield* within(hash, held)
      const text = typeof held === "string" ? held : held.toString("utf8")
      const value = parseJson(text)
      if (!checked(hash)) {
        if (hashOf(held) !== hash) {
          if (basesOf(hash).length > 0) return yield* within(hash, yield* notRebuilt(hash))
          return yield* within(hash, failure(hash, value === NOT_JSON ? "is not JSON" : "does not match its hash (edited or damaged)"))
        }
        unchecked.delete(hash)
      }
      if (value === NOT_JSON) return yield* within(hash, failure(hash, "is not JSON"))
      rememberJsonText(value, { text, hash })
      values.set(hash, value)
      known.remember(hash)
    }
    return values
  })

/**
 * `holderOf` says what a hash holds (`run R's recordings of S`) when no caller named it: asked only when a text
 * rebuilt from it fails, to name the damaged base rather than the text that needed it.
 */
export const make = (
  { pg, prepare }: ReturnType<typeof FixedStatements.make>,
  holderOf: (hash: string) => Effect.Effect<string | undefined, SqlError.SqlError> = () => Effect.succeed(undefined),
  recentBytes: number = RECENT_BYTES
): Blobs => {
  /** A hash as its column stores it: 16 bytes on SQLite, hex on PostgreSQL. */
  const key = (hash: string): string | Uint8Array => (pg ? hash : Buffer.from(hash, "hex"))
  const statements = blobStatements(prepare)
  const known = knownHashes()
  return { ...blobWriter(pg, key, statements, known), get: blobReader(key, statements, known, recentTexts(recentBytes), holderOf) }
}
