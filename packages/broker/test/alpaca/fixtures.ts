import { Effect, Logger, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { AccountId, defaultAccountSettings, type OrderIntent, Ticker } from "@council/domain"
import * as AlpacaClient from "../../src/alpaca/AlpacaClient.ts"
import type { FakeAlpaca } from "./FakeAlpaca.ts"

export const ACCOUNT = AccountId.make("CLAUDE")

export const accountFor = (fake: FakeAlpaca, secretKey = fake.secretKey): AlpacaClient.AlpacaAccountConfig => ({
  id: ACCOUNT,
  mode: "PAPER",
  baseUrl: fake.url,
  credentials: { keyId: Redacted.make(fake.keyId), secretKey: Redacted.make(secretKey) },
  settings: defaultAccountSettings
})

/** A client on the fake server, fast retries, no limiter in the way unless asked. */
export const clientFor = (fake: FakeAlpaca, options: AlpacaClient.AlpacaClientOptions = {}, secretKey?: string) =>
  AlpacaClient.make(accountFor(fake, secretKey), {
    timeout: "2 seconds",
    retry: { base: "20 millis", cap: "100 millis", times: 3 },
    rateLimit: { limit: 1000, window: "1 second" },
    ...options
  }).pipe(Effect.provide(FetchHttpClient.layer))

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
