import * as Config from "effect/Config"
import * as Schema from "effect/Schema"

export { codeVersion } from "./Version.ts"

const NonNegative = Schema.NumberFromString.check(Schema.isFinite(), Schema.isGreaterThanOrEqualTo(0))

const nonNegative = (name: string, fallback: number) => Config.schema(NonNegative, name).pipe(Config.withDefault(fallback))

/** The local exchange's fill model: slippage in basis points, commission per share and minimum per order. */
export const exchangeFillModel = Config.all({
  slippageBps: nonNegative("COUNCIL_SLIPPAGE_BPS", 5),
  commissionPerShare: nonNegative("COUNCIL_COMMISSION_PER_SHARE", 0),
  commissionMin: nonNegative("COUNCIL_COMMISSION_MIN", 0)
})
