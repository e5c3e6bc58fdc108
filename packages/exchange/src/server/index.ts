/**
 * The exchange's HTTP face (`@council/exchange/server`): `ExchangeServer` (`pnpm pipeline exchange serve`), its
 * fault injection and its market data wire. A subpath of its own so that in-process runs never load it.
 *
 * @since 0.1.0
 */
export * from "./ExchangeServer.ts"
export * as ExchangeFaults from "./ExchangeFaults.ts"
export * as ExchangeMarketWire from "./ExchangeMarketWire.ts"
