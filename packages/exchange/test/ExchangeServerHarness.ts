import { request } from "node:http"
import { Data, Effect, Layer, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { Migrator, SqlClient } from "effect/sql"
import { AccountId, defaultAccountSettings } from "@council/domain"
import { LiveGuard, SESSION_HEADER } from "@council/broker"
import { AlpacaBroker, AlpacaClient } from "@council/broker/Alpaca"
import { MarketData } from "@council/market"
import { Database, NodeSqliteClient } from "@council/store"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer, type ExchangeServerOptions } from "@council/exchange/server"
import { migrations } from "../../store/src/migrations/index.ts"
import { ACCOUNT, bars, D1, D2, isoAt } from "./ExchangeFixture.ts"

export const GEMINI = AccountId.make("GEMINI")

/** A fresh server on a random port over an in-memory ledger and the fixture bars, at session D2 by default. */
export const serverLayer = (options: ExchangeServerOptions = {}) =>
  ExchangeServer.layer({ port: 0, accounts: [ACCOUNT, GEMINI], date: D2, rateLimit: 10_000, ...options }).pipe(
    Layer.provide(Database.layerSqlite(":memory:")),
    Layer.provide(MarketData.layerTest(bars)),
    Layer.fresh
  )

/** A server over a database file (migrated to the latest on opening, as `exchange serve` opens it), at D2. */
export const serverOn = (filename: string) =>
  ExchangeServer.layer({ port: 0, date: D2, rateLimit: 10_000 }).pipe(
    Layer.provide(Database.layerSqlite(filename)),
    Layer.provide(MarketData.layerTest(bars)),
    Layer.fresh
  )

/**
 * The database file as a release before migration `upTo` left it: migrated up to the one before, holding one
 * account (CLAUDE, created at D1 15:45) — for tests that a new migration upgrades it in place.
 */
export const databaseBefore = (filename: string, upTo: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Migrator.make({})({
      loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < upTo)))
    })
    yield* sql`INSERT INTO exchange_accounts (id, uuid, api_key_id, api_secret, cash, created_at, last_session, phase)
      VALUES (${ACCOUNT}, '0b7c3a52-2f5e-4c4e-9a43-1f6f1b7f0d11', 'PKOLD00000000000000A', 'old-secret', 100000,
      ${isoAt(D1, "15:45")}, ${D1}, 'closed')`
  }).pipe(Effect.provide(Layer.fresh(NodeSqliteClient.layer({ filename }))))

export interface Keys {
  readonly keyId: string
  readonly secret: string
}

export const keysOf = (account: AccountId = ACCOUNT) =>
  Effect.gen(function*() {
    const exchange = yield* LocalExchange
    const found = (yield* exchange.keys).find((k) => k.account === account)
    if (found === undefined) return yield* Effect.die(`no keys for ${account}`)
    return { keyId: found.keyId, secret: Redacted.value(found.secretKey) } satisfies Keys
  })

/** The project's Alpaca adapter for `account` against the server at `url`, at the moment `session` (its header). */
export const adapterOf = (account: AccountId, url: string, session: string) =>
  Effect.gen(function*() {
    const keys = yield* keysOf(account)
    const [config] = yield* LiveGuard.guard([{
      id: account,
      mode: "PAPER",
      credentials: { keyId: Redacted.make(keys.keyId), secretKey: Redacted.make(keys.secret) },
      baseUrl: url,
      settings: defaultAccountSettings
    }]).pipe(Effect.map((all) => all.filter(AlpacaClient.hasCredentials)))
    return yield* AlpacaBroker.make(config!, { headers: { [SESSION_HEADER]: session } }).pipe(Effect.provide(FetchHttpClient.layer))
  })

export interface HttpResult {
  readonly status: number
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly text: string
  readonly json: unknown
}

export class ConnectionDropped extends Data.TaggedError("ConnectionDropped")<{ readonly message: string }> {}

export interface SendOptions {
  readonly keys?: Keys
  /** Sent as is; no Content-Type unless given in `headers`. */
  readonly body?: string
  readonly headers?: Readonly<Record<string, string>>
}

/** One HTTP request with node:http (so nothing adds a Content-Type), on a fresh connection. */
export const send = (base: string, method: string, path: string, options: SendOptions = {}) =>
  Effect.callback<HttpResult, ConnectionDropped>((resume) => {
    const url = new URL(base)
    const headers: Record<string, string> = {
      ...(options.keys === undefined
        ? {}
        : { "APCA-API-KEY-ID": options.keys.keyId, "APCA-API-SECRET-KEY": options.keys.secret }),
      ...options.headers
    }
    const req = request(
      { hostname: url.hostname, port: url.port, method, path, headers, agent: false },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (text += chunk))
        res.on("end", () =>
          resume(Effect.sync(() => ({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: text === "" ? undefined : JSON.parse(text) as unknown
          }))))
      }
    )
    req.on("error", (error) => resume(Effect.fail(new ConnectionDropped({ message: error.message }))))
    if (options.body !== undefined) req.write(options.body)
    req.end()
  })

/** Requests as one account of the server in context. */
export const clientOf = (account: AccountId = ACCOUNT) =>
  Effect.gen(function*() {
    const server = yield* ExchangeServer
    const keys = yield* keysOf(account)
    const call = (method: string, path: string, options: Omit<SendOptions, "keys"> = {}) =>
      send(server.url, method, path, { ...options, keys })
    return {
      url: server.url,
      keys,
      call,
      get: (path: string, headers?: Readonly<Record<string, string>>) => call("GET", path, headers ? { headers } : {}),
      post: (path: string, body: unknown) => call("POST", path, { body: JSON.stringify(body) }),
      del: (path: string) => call("DELETE", path)
    }
  })
