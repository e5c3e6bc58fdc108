/**
 * What `Blobs` keeps of the hashes it knows stored: a backtest adds some 15 a session for the whole run, so each
 * must cost its own 32 characters, not keep alive the 64-character digest `textHash` sliced it from.
 */
import { getHeapSnapshot } from "node:v8"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { jsonText } from "@council/engine"
import { Blobs, Database } from "@council/store"
import * as FixedStatements from "../src/FixedStatements.ts"
import { tempFile } from "./StoreFixture.ts"

/** The strings alive in this process (a heap snapshot collects garbage first). */
const liveStrings = Effect.promise(async () => {
  const chunks: Array<string> = []
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk))
  return new Set<string>((JSON.parse(chunks.join("")) as { readonly strings: ReadonlyArray<string> }).strings)
})

describe("Blobs' known hashes", () => {
  it.effect("keep no digest alive once their texts are gone", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const blobs = Blobs.make(FixedStatements.make(sql))
      // the texts, and the hashes `put` returns, are dropped here: only copies of their hex are kept
      const stored = yield* Effect.gen(function*() {
        const texts = Array.from({ length: 64 }, (_, i) => ({ text: jsonText({ blob: i, note: `a text of its own, number ${i}` }) }))
        const written = yield* blobs.put(texts)
        blobs.confirm(written)
        return written.map((hash) => Buffer.from(hash, "hex").toString("hex"))
      })
      assert.strictEqual(stored.length, 64)
      // still known: putting them again writes nothing
      const again = yield* blobs.put(stored.map((_, i) => ({ text: jsonText({ blob: i, note: `a text of its own, number ${i}` }) })))
      assert.deepStrictEqual(again, [])
      const wanted = new Set(stored)
      const digests = [...yield* liveStrings].filter((s) => /^[0-9a-f]{64}$/.test(s) && wanted.has(s.slice(0, 32)))
      assert.deepStrictEqual(digests, [])
    }).pipe(Effect.provide(Database.layerSqlite(tempFile("known.db")))), { timeout: 60_000 })
})
