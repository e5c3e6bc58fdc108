/**
 * Market data: the `MarketData` port, the local CSV feed (`LocalBars`) and the feed chosen by the environment
 * (`MarketFeed`). The remote feeds are subpaths (`@council/market/AlpacaBars`, `/PolygonBars`, `/RemoteBars`),
 * loaded by `MarketFeed.layer` only when `COUNCIL_DATA` chooses one, so a local run never loads them (nor
 * `effect/http`).
 *
 * @since 0.1.0
 */
export * as BarIndex from "./BarIndex.ts"
export * as CorporateAction from "./CorporateAction.ts"
export * as LocalBars from "./LocalBars.ts"
export { defaultBarsDirectory } from "./LocalBars.ts"
export * as MarketFeed from "./MarketFeed.ts"
export { MarketFeedConfigError } from "./MarketFeed.ts"
export * from "./MarketData.ts"
