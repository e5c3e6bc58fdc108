/**
 * Brokers: the per-account broker contract (`Broker`, `Brokers`, `BrokerError`), the configured accounts and their
 * routing, the multi-account manager and the Alpaca adapter. The local paper exchange lives in `@council/exchange`
 * and plugs in as the `LocalVenue`.
 *
 * @since 0.1.0
 */
export * from "./Broker.ts"
export * from "./TradingAccounts.ts"
export * as AccountsConfig from "./AccountsConfig.ts"
export * as LiveGuard from "./LiveGuard.ts"
export * from "./AccountManager.ts"
export * from "./LocalVenue.ts"
export * from "./alpaca/AlpacaBroker.ts"
export * as AlpacaClient from "./alpaca/AlpacaClient.ts"
export * as AlpacaRequestPolicy from "./alpaca/RequestPolicy.ts"
export * as AlpacaWire from "./alpaca/AlpacaWire.ts"
export * as RoutedBrokers from "./RoutedBrokers.ts"
