import { Clock, Effect, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { Ticker } from "@council/domain"
import * as AlpacaBars from "@council/market/AlpacaBars"
import * as PolygonBars from "@council/market/PolygonBars"
import { alpacaActions, type FakeAction, polygonActions } from "./actionServers.ts"
import { alpacaBars, alpacaSnapshots, type FakeBar, type FakeIntraday, polygonAggs, polygonSnapshots, serve } from "./providerServers.ts"

/** The keys the fake Alpaca checks and `alpacaFeed` sends. */
export const ALPACA_KEY = "PKTESTKEYID123"
export const ALPACA_SECRET = "sEcReT-0123456789"

interface FeedOptions {
  /** The provider's daily bars. */
  readonly bars: Readonly<Record<string, ReadonlyArray<FakeBar>>>
  /** The feed's universe. */
  readonly symbols: ReadonlyArray<string>
  /** The provider's splits and dividends (`actionServers`); none asked for, none served. */
  readonly actions?: ReadonlyArray<FakeAction>
  /** Today's session so far, on the provider's snapshot endpoint. */
  readonly today?: Readonly<Record<string, FakeIntraday>>
  /** The server's clock for its recorded requests (default: the test clock). */
  readonly now?: () => number
}

/**
 * `AlpacaBars` over a fake Alpaca on 127.0.0.1 for the test's scope, keyed `ALPACA_KEY`/`ALPACA_SECRET`: its bars,
 * its corporate actions (`actionsPage` of them a page) and its snapshots of today, as `options` give them.
 */
export const alpacaFeed = Effect.fnUntraced(function*(options: FeedOptions & { readonly actionsPage?: number | undefined }) {
  const clock = yield* Clock.Clock
  let handle = alpacaBars({ bars: options.bars, keyId: ALPACA_KEY, secretKey: ALPACA_SECRET })
  if (options.today !== undefined) handle = alpacaSnapshots(options.today, handle)
  if (options.actions !== undefined) handle = alpacaActions(options.actions, handle, options.actionsPage)
  const server = yield* serve(handle, { now: options.now ?? (() => clock.currentTimeMillisUnsafe()) })
  const md = yield* AlpacaBars.make({
    keyId: Redacted.make(ALPACA_KEY),
    secretKey: Redacted.make(ALPACA_SECRET),
    baseUrl: server.url,
    symbols: options.symbols.map((s) => Ticker.make(s))
  }).pipe(Effect.provide(FetchHttpClient.layer))
  return { md, server }
})

/**
 * `PolygonBars` over a fake Polygon on 127.0.0.1 for the test's scope, keyed `apiKey`, 100 calls a minute: its
 * aggregates, its splits and dividends and its tickers snapshot of today, as `options` give them.
 */
export const polygonFeed = Effect.fnUntraced(function*(options: FeedOptions & { readonly apiKey: string }) {
  const clock = yield* Clock.Clock
  let handle = polygonAggs({ bars: options.bars, apiKey: options.apiKey })
  if (options.today !== undefined) handle = polygonSnapshots(options.today, handle)
  if (options.actions !== undefined) handle = polygonActions(options.actions, handle)
  const server = yield* serve(handle, { now: options.now ?? (() => clock.currentTimeMillisUnsafe()) })
  const md = yield* PolygonBars.make({
    apiKey: Redacted.make(options.apiKey),
    baseUrl: server.url,
    symbols: options.symbols.map((s) => Ticker.make(s)),
    callsPerMinute: 100
  }).pipe(Effect.provide(FetchHttpClient.layer))
  return { md, server }
})
