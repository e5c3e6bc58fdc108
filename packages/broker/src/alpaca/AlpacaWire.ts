/**
 * Alpaca's wire formats (trading API v2; market-data bars are in `AlpacaBarsWire`) as tolerant schemas
 * (`WireFormats`), and pure conversions between them and the domain (`WireConversions`; errors: `WireErrors`), in
 * both directions: a client decodes responses and encodes requests, an Alpaca-compatible server decodes requests and
 * encodes responses with the same schemas.
 *
 * **When to use**: the Alpaca adapter (`AlpacaClient`, `AlpacaBroker`) and any HTTP face of the local exchange.
 * Decode with `Schema.decodeUnknownEffect(Schema.fromJsonString(WireOrder))`, encode with
 * `Schema.encodeSync(WireOrder)(toWireOrder(order))`.
 *
 * **Gotchas**
 * - Decimals are JSON strings (`"qty": "2"`); `Decimal` also accepts JSON numbers (SDK fixtures) and always
 *   encodes to a string. Conversions to the domain parse them to `number`.
 * - Every account field is optional: the PDT/DTBP fields vanished on 2026-07-06, and Alpaca's field set drifts.
 *   Unknown fields are ignored on decode. Enumerations (order status, type, …) are plain strings on the wire and
 *   are checked only when converting to the domain, so a new Alpaca status fails one conversion, not a decode.
 * - `order_class: ""` means `simple` (both are read). Simple orders are encoded as `""` in orders (as Alpaca
 *   answers them) and as `"simple"` in order requests.
 * - `toDomainOrder`/`toDomainPosition` return a `Result`: orders the domain cannot represent (options legs,
 *   non-ticker symbols such as `BTC/USD`, a status new to Council: `unknownStatus`) are failures with a reason, not
 *   defects. Trailing stops carry their trail
 *   and `hwm`. Notional orders
 *   are orders with `notional` (their `qty`: the shares filled so far).
 * - Error classification (`errorReason`) and its inverse (`toWireError`) are kept together so that a server's
 *   error round-trips to the same `BrokerError` reason in the client (except `UnknownAccount`, sent as 401, and
 *   `Unavailable`, sent as 503, which come back as `Unauthorized` and `ServerError`).
 *
 * @since 0.1.0
 */
export * from "./WireConversions.ts"
export * from "./WireErrors.ts"
export * from "./WireFormats.ts"
