export * as BarIndex from "./BarIndex.ts"
export * as LocalBars from "./LocalBars.ts"
export { defaultBarsDirectory } from "./LocalBars.ts"
export * from "./MarketData.ts"
