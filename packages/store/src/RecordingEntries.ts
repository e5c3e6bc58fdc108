/**
 * How the SQL store keeps one stage's recordings: a single JSON array, stored as a content-addressed blob, whose
 * entries are `[key, seq, value]`, or `[key, seq, 0, hash]` / `[key, seq, 0, hash, reusedFrom]` for a success
 * whose value is large: `{ _tag: "Success", value: <blob hash>, reusedFrom? }`. A large value (the day's market
 * snapshot, an LLM exchange) is then stored once however many runs and checkpoints hold it, and a stage's small
 * recordings cost one row.
 *
 * **Gotchas**: migration `0008_content_addressed` wrote this format; change it only together with a migration.
 * A recording is split only when its value is exactly `{ _tag, value[, reusedFrom] }` in that key order, so that
 * reading it back gives the same JSON text.
 *
 * @since 0.1.0
 */
import type { RunId } from "@council/domain"
import { type JsonText, knownJsonText, type Recording, rememberJsonText, textHash } from "@council/engine"
import type * as Schema from "effect/Schema"

/**
 * Success values whose JSON text is at least this long are stored as blobs of their own (once however many runs
 * hold them). Smaller ones stay inline: a blob costs a row, its keys and a compression of its own, while the
 * entries list is compressed against the stage's previous one anyway (a backtest's ~1.5 KB account snapshots).
 */
export const LARGE_VALUE = 4096

export type Entry =
  | readonly [key: string, seq: number, value: Schema.Json]
  | readonly [key: string, seq: number, ref: 0, hash: string]
  | readonly [key: string, seq: number, ref: 0, hash: string, reusedFrom: string]

/** The value and mark of a success recorded as `{ _tag, value[, reusedFrom] }` in that key order (else undefined). */
const successOf = (value: Schema.Json): { readonly value: Schema.Json; readonly reusedFrom?: string } | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const keys = Object.keys(value)
  const outcome = value as { readonly [k: string]: Schema.Json }
  const reusedFrom = outcome["reusedFrom"]
  const shaped = keys[0] === "_tag" && keys[1] === "value" && outcome["_tag"] === "Success" &&
    (keys.length === 2 || (keys.length === 3 && keys[2] === "reusedFrom" && typeof reusedFrom === "string"))
  if (!shaped) return undefined
  return typeof reusedFrom === "string" ? { value: outcome["value"]!, reusedFrom } : { value: outcome["value"]! }
}

/**
 * A success's value as its text when it stays inline (shorter than `LARGE_VALUE`), else as the `JsonText` of a blob
 * of its own. A value known by its bytes (`JsonText.bytes`: a market snapshot) is not built as a text here.
 */
const valueText = (value: Schema.Json): string | JsonText => {
  const known = knownJsonText(value)
  if (known?.bytes !== undefined && known.bytes.length >= LARGE_VALUE) return known
  const text = known?.text ?? JSON.stringify(value)
  return text.length < LARGE_VALUE ? text : known ?? { text, hash: textHash(text) }
}

/**
 * A stage's recordings as their entries' blob and the blobs of their large values. The entries' text is
 * `JSON.stringify(entries)`, built from each value's text so that a value is stringified once and only the
 * entries and the large values are hashed.
 */
export const pack = (
  recordings: ReadonlyArray<Pick<Recording, "key" | "seq" | "value">>
): { readonly entries: JsonText; readonly values: ReadonlyArray<JsonText> } => {
  const values: Array<JsonText> = []
  const parts: Array<string> = []
  for (const r of recordings) {
    const head = `[${JSON.stringify(r.key)},${JSON.stringify(r.seq)},`
    const success = successOf(r.value)
    if (success === undefined) {
      parts.push(`${head}${knownJsonText(r.value)?.text ?? JSON.stringify(r.value)}]`)
      continue
    }
    const large = valueText(success.value)
    const reused = success.reusedFrom === undefined ? undefined : JSON.stringify(success.reusedFrom)
    if (typeof large === "string") {
      parts.push(`${head}{"_tag":"Success","value":${large}${reused === undefined ? "" : `,"reusedFrom":${reused}`}}]`)
      continue
    }
    rememberJsonText(success.value, large)
    values.push(large)
    parts.push(`${head}0,${JSON.stringify(large.hash)}${reused === undefined ? "" : `,${reused}`}]`)
  }
  const text = `[${parts.join(",")}]`
  return { entries: { text, hash: textHash(text) }, values }
}

const isEntry = (entry: unknown): entry is Entry =>
  Array.isArray(entry) && typeof entry[0] === "string" && typeof entry[1] === "number" &&
  (entry.length === 3 || ((entry.length === 4 || (entry.length === 5 && typeof entry[4] === "string")) && entry[2] === 0 &&
    typeof entry[3] === "string"))

/** An entries blob as entries, with the hashes of the large values it refers to; a message for a blob that is not. */
export const read = (blob: unknown): { readonly entries: ReadonlyArray<Entry>; readonly references: ReadonlyArray<string> } | string => {
  if (!Array.isArray(blob)) return "recordings are not a list"
  const entries: Array<Entry> = []
  const references: Array<string> = []
  for (const entry of blob) {
    if (!isEntry(entry)) return "a recording entry is malformed"
    entries.push(entry)
    if (entry.length !== 3) references.push(entry[3])
  }
  return { entries, references }
}

/** The recordings of entries (from `read`), with large values from `valueOf`. */
export const unpack = (
  runId: RunId,
  stage: string,
  entries: ReadonlyArray<Entry>,
  valueOf: (hash: string) => Schema.Json
): ReadonlyArray<Recording> =>
  entries.map((entry): Recording => {
    if (entry.length === 3) return { runId, stage, key: entry[0], seq: entry[1], value: entry[2] }
    const value = valueOf(entry[3])
    return {
      runId,
      stage,
      key: entry[0],
      seq: entry[1],
      value: entry.length === 5 ? { _tag: "Success", value, reusedFrom: entry[4] } : { _tag: "Success", value }
    }
  })
