/**
 * The local paper exchange: a ledger in SQL with Alpaca paper-trading semantics, driven by a simulated present
 * moment among daily sessions — in-process (`LocalExchange`, also `@council/broker`'s `LocalVenue`) and as an Alpaca-compatible HTTP
 * server (`@council/exchange/server`: `ExchangeServer`, `pnpm pipeline exchange serve`).
 *
 * @since 0.1.0
 */
export * as Calendar from "./Calendar.ts"
export * from "./ExchangeRecords.ts"
export * from "./ExchangeSession.ts"
export * as FillModel from "./FillModel.ts"
export * from "./LocalExchange.ts"
