import { Effect, Logger, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { type AccountConfig, AccountId, defaultAccountSettings, type OrderIntent, Ticker } from "@council/domain"
import * as AlpacaClient from "../../src/alpaca/AlpacaClient.ts"
import * as LiveGuard from "../../src/LiveGuard.ts"
import type { FakeAlpaca } from "./FakeAlpaca.ts"

export const ACCOUNT = AccountId.make("CLAUDE")

/** Where a client goes: the fake server, or any server on 127.0.0.1 with a key pair. */
export type Endpoint = Pick<FakeAlpaca, "url" | "keyId" | "secretKey">

export const accountFor = (fake: Endpoint, secretKey = fake.secretKey): AccountConfig => ({
  id: ACCOUNT,
  mode: "PAPER",
  baseUrl: fake.url,
  credentials: { keyId: Redacted.make(fake.keyId), secretKey: Redacted.make(secretKey) },
  settings: defaultAccountSettings
})

/** `config` through the LIVE guard, as every Alpaca client needs it. */
export const guarded = (config: AccountConfig): Effect.Effect<AlpacaClient.AlpacaAccountConfig> =>
  LiveGuard.guard([config]).pipe(
    Effect.orDie,
    Effect.flatMap(([account]) =>
      account !== undefined && AlpacaClient.hasCredentials(account)
        ? Effect.succeed(account)
        : Effect.die(new Error(`${config.id} has no credentials`))
    )
  )

/** A client on the fake server, fast retries, no limiter in the way unless asked. */
export const clientFor = (fake: Endpoint, options: AlpacaClient.AlpacaClientOptions = {}, secretKey?: string) =>
  guarded(accountFor(fake, secretKey)).pipe(
    Effect.flatMap((account) =>
      AlpacaClient.make(account, {
        timeout: "2 seconds",
        retry: { base: "20 millis", cap: "100 millis", times: 3 },
        rateLimit: { limit: 1000, window: "1 second" },
        ...options
      })
    ),
    Effect.provide(FetchHttpClient.layer)
  )

/** Every log line (logfmt, with causes) written while `effect` runs. */
export const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const lines: Array<string> = []
  const logger = Logger.map(Logger.formatLogFmt, (line) => {
    lines.push(line)
  })
  return effect.pipe(
    Effect.provide(Logger.layer([logger])),
    Effect.map((a) => ({ value: a, lines }))
  )
}

export const intent = (n: number, overrides: Partial<OrderIntent> = {}): OrderIntent => ({
  account: ACCOUNT,
  symbol: Ticker.make("AAPL"),
  side: "buy",
  qty: n + 1,
  type: "limit",
  timeInForce: "day",
  limitPrice: 150,
  orderClass: "simple",
  clientOrderId: `2026-08-03-CLAUDE-AAPL-buy-${n}`,
  reason: "test",
  ...overrides
})
