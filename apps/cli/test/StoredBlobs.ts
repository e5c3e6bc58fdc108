import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Blobs } from "@council/store"

interface Row {
  readonly body: string | null
  readonly data: Uint8Array | null
  readonly base: string
  readonly z: number
}

/** The text of a stored blob as the store reads it back: decompressed against its bases' texts. */
export const blobText = (db: DatabaseSync, hash: string): string => {
  const row = db.prepare("SELECT body, data, hex(base) AS base, z FROM blobs WHERE hash = unhex(?)").get(hash) as Row | undefined
  if (row === undefined) throw new Error(`no blob ${hash}`)
  const bases = Blobs.baseHashes(row.base.toLowerCase())
  const text = Blobs.textOfRow({ ...row, base: bases }, bases.map((base) => blobText(db, base)))
  if (typeof text !== "string") throw new Error(`blob ${hash} ${text.problem}`)
  return text
}

/** Every blob's text, for looking through what the store holds (the file itself holds them compressed). */
export const allBlobTexts = (db: DatabaseSync): string =>
  (db.prepare("SELECT lower(hex(hash)) AS hash FROM blobs").all() as Array<{ hash: string }>).map((r) => blobText(db, r.hash)).join("\n")

/** A home's store as a secret scan sees it: the database files' bytes, and every payload in it as text (the file holds large ones compressed). */
export const storeText = (home: string): string => {
  const files = ["council.db", "council.db-wal", "council.db-shm"].map((f) => join(home, f)).filter(existsSync)
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  try {
    return [...files.map((f) => readFileSync(f).toString("latin1")), allBlobTexts(db)].join("\n")
  } finally {
    db.close()
  }
}
