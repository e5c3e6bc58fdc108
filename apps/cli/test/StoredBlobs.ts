import type { DatabaseSync } from "node:sqlite"
import { inflateRawSync } from "node:zlib"
import { TextDelta } from "@council/store"

interface Row {
  readonly body: string
  readonly base: string | null
  readonly z: number
}

/** The text of a stored blob as the store reads it back: inflated, its delta applied to its base's text. */
export const blobText = (db: DatabaseSync, hash: string): string => {
  const row = db.prepare("SELECT body, base, z FROM blobs WHERE hash = ?").get(hash) as Row | undefined
  if (row === undefined) throw new Error(`no blob ${hash}`)
  const body = row.z === 1 ? inflateRawSync(Buffer.from(row.body, "base64")).toString("utf8") : row.body
  if (row.base === null) return body
  const text = TextDelta.apply(blobText(db, row.base), JSON.parse(body))
  if (text === undefined) throw new Error(`blob ${hash} does not rebuild`)
  return text
}

/** Every blob's text, for looking through what the store holds (the file itself holds them deflated). */
export const allBlobTexts = (db: DatabaseSync): string =>
  (db.prepare("SELECT hash FROM blobs").all() as Array<{ hash: string }>).map((r) => blobText(db, r.hash)).join("\n")
