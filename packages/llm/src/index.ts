export * from "./Chairman.ts"
export * as Indicators from "./Indicators.ts"
export * as OfflineRules from "./OfflineRules.ts"
export * from "./PortfolioManager.ts"
