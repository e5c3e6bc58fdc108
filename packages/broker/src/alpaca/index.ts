/**
 * The Alpaca adapter (`@council/broker/Alpaca`): the per-account brokers, their HTTP client, request policy and wire
 * format. A subpath of its own so that runs whose accounts all live on the local exchange never load it (nor
 * `effect/http`): `RoutedBrokers` imports it only when an account has credentials.
 *
 * @since 0.1.0
 */
export * from "./AlpacaBroker.ts"
export * as AlpacaClient from "./AlpacaClient.ts"
export * as AlpacaRequestPolicy from "./RequestPolicy.ts"
export * as AlpacaWire from "./AlpacaWire.ts"
export * as AlpacaBarsWire from "./AlpacaBarsWire.ts"
