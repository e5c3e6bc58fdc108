import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import {
  type AccountId,
  AccountSnapshot,
  type CancelIntent,
  closeOf,
  type CouncilDecision,
  type MarketSnapshot,
  OPEN_STATUSES,
  Order,
  type OrderIntent,
  PM_NAMES,
  type Pitch,
  RiskVerdict
} from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { type AccountProfile, carriedPlans, runAccounts, runTiming } from "../DailyParams.ts"
import { planAccount, type Target } from "../RiskRules.ts"
import { ACCOUNT_UNAVAILABLE } from "../Unevaluated.ts"
import { CouncilSynthesis } from "./CouncilSynthesis.ts"
import { FetchData } from "./FetchData.ts"
import { PmPitches } from "./PmPitches.ts"

export { ACCOUNT_UNAVAILABLE, unevaluated } from "../Unevaluated.ts"

const isPm = (account: string) => (PM_NAMES as ReadonlyArray<string>).includes(account)

const pitchTargets = (pitch: Pitch): ReadonlyArray<Target> =>
  pitch.symbol === "FLAT" || pitch.direction === "FLAT" ? [] : [{ ...pitch, symbol: pitch.symbol, direction: pitch.direction }]

const councilTargets = (decision: CouncilDecision): ReadonlyArray<Target> =>
  decision.trades.flatMap((t) => (t.direction === "FLAT" ? [] : [{ ...t, direction: t.direction }]))

const planFor = (
  config: AccountProfile,
  snapshot: MarketSnapshot,
  pitches: ReadonlyArray<Pitch>,
  decision: CouncilDecision
) =>
  Effect.gen(function*() {
    const broker = yield* Effect.flatMap(Brokers, (brokers) => brokers.get(config.id))
    const [account, open] = yield* Effect.all([
      Recorder.call("broker.getAccount", { account: config.id }, { success: AccountSnapshot, failure: BrokerError }, broker.getAccount),
      Recorder.call(
        "broker.listOrders",
        { account: config.id, status: "open" },
        { success: Schema.Array(Order), failure: BrokerError },
        broker.listOrders({ status: "open", limit: 500 })
      )
    ], { concurrency: 2 })
    const pitch = pitches.find((p) => p.pm === config.id)
    const { schedule } = yield* runTiming
    if (isPm(config.id) && !pitch) {
      return {
        cancels: [],
        intents: [],
        clamps: [],
        rejections: [{ account: config.id, symbol: "*", rule: "pm-abstained", detail: `${config.id} did not pitch; holding` }]
      }
    }
    const plan = planAccount({
      day: snapshot.asOf,
      config,
      account,
      targets: pitch ? pitchTargets(pitch) : councilTargets(decision),
      priceOf: (symbol) => closeOf(snapshot, symbol),
      source: pitch ? `${pitch.pm}'s pitch` : "the council decision",
      schedule
    })
    return { ...plan, cancels: staleOrders(config.id, open, plan.intents) }
  }).pipe(
    Effect.catchTag("BrokerError", (error) =>
      Effect.succeed({
        cancels: [],
        intents: [],
        clamps: [],
        rejections: [{ account: config.id, symbol: "*", rule: ACCOUNT_UNAVAILABLE, detail: `could not read the account: ${error.message}` }]
      }))
  )

/**
 * The open orders (e.g. earlier bracket legs) on the symbols an account trades today: canceled first, so exits
 * never hold shares the new orders need. One member per order group is enough: canceling it cancels the group.
 */
const staleOrders = (account: AccountId, open: ReadonlyArray<Order>, intents: ReadonlyArray<OrderIntent>): ReadonlyArray<CancelIntent> => {
  const traded = new Set<string>(intents.map((i) => i.symbol))
  return open
    .filter((order) => traded.has(order.symbol))
    .flatMap((order) => [order, ...order.legs].find((member) => OPEN_STATUSES.has(member.status)) ?? [])
    .map((member) => ({ account, orderId: member.id, symbol: member.symbol, reason: `open ${member.type} ${member.side} ${member.symbol} before today's orders` }))
}

export const RiskApproval = Stage.make({
  name: "RiskApproval",
  description: "order intents per account; every rejection and clamp recorded",
  dependsOn: [FetchData, PmPitches, CouncilSynthesis],
  output: RiskVerdict,
  timeout: "2 minutes",
  run: ({ FetchData: snapshot, PmPitches: book, CouncilSynthesis: decision }) =>
    Effect.gen(function*() {
      const accounts = yield* runAccounts
      const carried = yield* carriedPlans
      const plans = yield* Effect.forEach(accounts, (config) => {
        const kept = carried.find((p) => p.account === config.id)
        return kept ? Effect.succeed(kept) : planFor(config, snapshot, book.pitches, decision)
      }, { concurrency: "unbounded" })
      return {
        asOf: snapshot.asOf,
        cancels: plans.flatMap((p) => p.cancels),
        intents: plans.flatMap((p) => p.intents),
        rejections: plans.flatMap((p) => p.rejections),
        clamps: plans.flatMap((p) => p.clamps)
      }
    })
})
