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
import { type JsonText, jsonText, type Recording } from "@council/engine"
import type * as Schema from "effect/Schema"

/** Success values whose JSON text is at least this long are stored as blobs of their own. */
export const LARGE_VALUE = 1024

export type Entry =
  | readonly [key: string, seq: number, value: Schema.Json]
  | readonly [key: string, seq: number, ref: 0, hash: string]
  | readonly [key: string, seq: number, ref: 0, hash: string, reusedFrom: string]

/** The large success value of `value`, if it is one to store apart. */
const largeValue = (value: Schema.Json): { readonly text: JsonText; readonly reusedFrom?: string } | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const keys = Object.keys(value)
  const outcome = value as { readonly [k: string]: Schema.Json }
  const shaped = keys[0] === "_tag" && keys[1] === "value" && outcome["_tag"] === "Success" &&
    (keys.length === 2 || (keys.length === 3 && keys[2] === "reusedFrom" && typeof outcome["reusedFrom"] === "string"))
  if (!shaped) return undefined
  const text = jsonText(outcome["value"])
  if (text.text.length < LARGE_VALUE) return undefined
  return keys.length === 3 ? { text, reusedFrom: outcome["reusedFrom"] as string } : { text }
}

/** A stage's recordings as their entries' blob and the blobs of their large values. */
export const pack = (
  recordings: ReadonlyArray<Pick<Recording, "key" | "seq" | "value">>
): { readonly entries: JsonText; readonly values: ReadonlyArray<JsonText> } => {
  const values: Array<JsonText> = []
  const entries = recordings.map((r): Entry => {
    const large = largeValue(r.value)
    if (large === undefined) return [r.key, r.seq, r.value]
    values.push(large.text)
    return large.reusedFrom === undefined ? [r.key, r.seq, 0, large.text.hash] : [r.key, r.seq, 0, large.text.hash, large.reusedFrom]
  })
  return { entries: jsonText(entries), values }
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
