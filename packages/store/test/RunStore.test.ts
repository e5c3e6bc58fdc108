import { describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { PgServer } from "./PgServer.ts"
import { contract } from "./RunStoreContract.ts"
import { sqlContract } from "./SqlRunStoreContract.ts"
import { sqliteStore, tempFile } from "./StoreFixture.ts"

describe("RunStore contract", () => {
  describe("memory", () => contract(it, Effect.sync(() => RunStore.layerMemory.pipe(Layer.fresh))))

  describe("SQLite", () => {
    const fresh = Effect.sync(() => sqliteStore(tempFile("council.db")))
    contract(it, fresh)
    sqlContract(it, fresh)
  })

  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    const fresh = Effect.map(
      PgServer,
      (server) =>
        Layer.unwrap(Effect.map(server.createDatabase, (url) =>
          SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
    )
    contract(it, fresh)
    sqlContract(it, fresh)
  })
})
