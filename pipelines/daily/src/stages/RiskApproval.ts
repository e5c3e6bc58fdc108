import { Effect } from "effect"
import {
  AccountSnapshot,
  closeOf,
  type CouncilDecision,
  type MarketSnapshot,
  PM_NAMES,
  type Pitch,
  RiskVerdict
} from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { type AccountProfile, runAccounts } from "../DailyParams.ts"
import { type AccountPlan, planAccount, type Target } from "../RiskRules.ts"
import { CouncilSynthesis } from "./CouncilSynthesis.ts"
import { FetchData } from "./FetchData.ts"
import { PmPitches } from "./PmPitches.ts"

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
    const brokers = yield* Brokers
    const account = yield* Recorder.call(
      "broker.getAccount",
      { account: config.id },
      { success: AccountSnapshot, failure: BrokerError },
      Effect.flatMap(brokers.get(config.id), (broker) => broker.getAccount)
    )
    const pitch = pitches.find((p) => p.pm === config.id)
    if (isPm(config.id) && !pitch) {
      return {
        intents: [],
        clamps: [],
        rejections: [{ account: config.id, symbol: "*", rule: "pm-abstained", detail: `${config.id} did not pitch; holding` }]
      } satisfies AccountPlan
    }
    return planAccount({
      day: snapshot.asOf,
      config,
      account,
      targets: pitch ? pitchTargets(pitch) : councilTargets(decision),
      priceOf: (symbol) => closeOf(snapshot, symbol),
      source: pitch ? `${pitch.pm}'s pitch` : "the council decision"
    })
  }).pipe(
    Effect.catchTag("BrokerError", (error) =>
      Effect.succeed({
        intents: [],
        clamps: [],
        rejections: [{ account: config.id, symbol: "*", rule: "account-unavailable", detail: error.message }]
      } satisfies AccountPlan))
  )

export const RiskApproval = Stage.make({
  name: "RiskApproval",
  description: "order intents per account; every rejection and clamp recorded",
  dependsOn: [FetchData, PmPitches, CouncilSynthesis],
  output: RiskVerdict,
  timeout: "2 minutes",
  run: ({ FetchData: snapshot, PmPitches: book, CouncilSynthesis: decision }) =>
    Effect.gen(function*() {
      const accounts = yield* runAccounts
      const plans = yield* Effect.forEach(accounts, (config) => planFor(config, snapshot, book.pitches, decision), {
        concurrency: "unbounded"
      })
      return {
        asOf: snapshot.asOf,
        intents: plans.flatMap((p) => p.intents),
        rejections: plans.flatMap((p) => p.rejections),
        clamps: plans.flatMap((p) => p.clamps)
      }
    })
})
