/**
 * Brokers: the per-account broker contract (`Broker`, `Brokers`, `BrokerError`) and the local paper exchange
 * (`LocalExchange`, `ExchangeSession`, `FillModel`) that implements it offline.
 *
 * @since 0.1.0
 */
export * from "./Broker.ts"
export * from "./ExchangeSession.ts"
export * as FillModel from "./FillModel.ts"
export * from "./LocalExchange.ts"
export * from "./TradingAccounts.ts"
export * as AccountsConfig from "./AccountsConfig.ts"
export * as LiveGuard from "./LiveGuard.ts"
export * from "./AccountManager.ts"
export * from "./alpaca/AlpacaBroker.ts"
export * as AlpacaClient from "./alpaca/AlpacaClient.ts"
export * as AlpacaRequestPolicy from "./alpaca/RequestPolicy.ts"
export * as AlpacaWire from "./alpaca/AlpacaWire.ts"
export * from "./ExchangeServer.ts"
export * as ExchangeFaults from "./ExchangeFaults.ts"
export * as ExchangeMarketWire from "./ExchangeMarketWire.ts"
export * as RoutedBrokers from "./RoutedBrokers.ts"
