import { assert, describe, it } from "@effect/vitest"
import { StoreError } from "@council/engine"
import { storeFailure } from "../src/RunsHandlers.ts"

describe("a store's failure as the API answers it", () => {
  it("is Damaged (500) by the StoreError's kind, whatever its wording", () => {
    // the recordings' own damage: its wording ("stored recordings …") is not the blobs' ("stored blob …")
    const recordings = new StoreError({ operation: "getRecordings", message: "run r's recordings of fetch: stored recordings are not a list", kind: "damaged" })
    assert.deepStrictEqual([storeFailure(recordings)._tag, storeFailure(recordings).message], ["Damaged", recordings.message])
  })

  it("is Unavailable (503) without that kind, even when the message reads like damage", () => {
    // a driver's message may quote a stored text; only the store knows what it found
    const busy = new StoreError({ operation: "getRun", message: "SqliteError: stored blob table locked: database is locked" })
    assert.deepStrictEqual([storeFailure(busy)._tag, storeFailure(busy).message], ["Unavailable", busy.message])
  })
})
