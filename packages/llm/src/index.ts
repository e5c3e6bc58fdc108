/**
 * The council's PMs and chairman, offline and on LLMs: what every run needs. The provider adapters and the
 * seating of live models are in `@council/llm/live`, loaded only when a model is asked (offline runs never load
 * them). Commands that only read or check load single modules by subpath instead of this index:
 * `@council/llm/LlmSettings` (the settings), `/AuditTrail`, `/Models`, `/Prices` (a run's recorded exchanges and
 * costs) and `/Chairman`.
 *
 * @since 0.1.0
 */
export * from "./AnswerWithin.ts"
export * as AuditTrail from "./AuditTrail.ts"
export * from "./Budget.ts"
export * from "./Chairman.ts"
export * from "./Exchange.ts"
export * as Indicators from "./Indicators.ts"
export * as Lineup from "./Lineup.ts"
export * as LlmSettings from "./LlmSettings.ts"
export * as MarketBrief from "./MarketBrief.ts"
export * as Models from "./Models.ts"
export * as OfflineRules from "./OfflineRules.ts"
export * as PeerReview from "./PeerReview.ts"
export * from "./PortfolioManager.ts"
export * as Prices from "./Prices.ts"
export * from "./SpendLedger.ts"
