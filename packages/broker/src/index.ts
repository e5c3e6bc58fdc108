/**
 * Brokers: the per-account broker contract (`Broker`, `Brokers`, `BrokerError`), the configured accounts and their
 * routing, the account rules (`AccountLimits`) and the safety broker that enforces them on every route, and the
 * multi-account manager. The Alpaca adapter is `@council/broker/Alpaca` (its wire format alone
 * `@council/broker/AlpacaWire`), loaded only where an account has credentials. The local paper exchange lives in
 * `@council/exchange` and plugs in as the `LocalVenue`.
 *
 * @since 0.1.0
 */
export * from "./Broker.ts"
export * from "./TradingAccounts.ts"
export * as AccountsConfig from "./AccountsConfig.ts"
export * as LiveGuard from "./LiveGuard.ts"
export * from "./AccountManager.ts"
export * from "./LocalVenue.ts"
export * as RoutedBrokers from "./RoutedBrokers.ts"
export * as OrderPages from "./OrderPages.ts"
export * as AccountLimits from "./AccountLimits.ts"
export * as SafetyBroker from "./SafetyBroker.ts"
export { ReferencePrices } from "./SafetyBroker.ts"
