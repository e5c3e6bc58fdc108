import * as Effect from "effect/Effect"
import {
  type AccountId,
  AccountSnapshot,
  closeOf,
  type CouncilDecision,
  type MarketSnapshot,
  PM_NAMES,
  type Pitch,
  RiskVerdict,
  type RunSchedule
} from "@council/domain"
import { Recorder, Stage } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { accountDecision } from "@council/notify/RunMessages"
import {
  type AccountProfile,
  carriedPlans,
  countsBracketsWhenHolding,
  coversRemainderWhenHolding,
  namesCancelGroups,
  protectsWhenHolding,
  runAccounts,
  runTiming,
  statesPositionIntents
} from "../DailyParams.ts"
import { liveTold, notifyAll } from "../Notify.ts"
import { openOrders } from "../OpenOrderPages.ts"
import { planAccount, protectHeld, type Target } from "../RiskRules.ts"
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
  decision: CouncilDecision,
  schedule: RunSchedule,
  choices: { readonly groups: boolean; readonly positionIntents: boolean; readonly protectsHolding: boolean; readonly coversRemainder: boolean; readonly countsBrackets: boolean }
) =>
  Effect.gen(function*() {
    const broker = yield* Effect.flatMap(Brokers, (brokers) => brokers.get(config.id))
    const [account, open] = yield* Effect.all([
      Recorder.call("broker.getAccount", { account: config.id }, { success: AccountSnapshot, failure: BrokerError }, broker.getAccount),
      openOrders(broker)
    ], { concurrency: 2 })
    const pitch = pitches.find((p) => p.pm === config.id)
    // holding: nothing bought, sold or canceled; in runs recording `abstained: protected`, unprotected positions get
    // their exits, under `abstained: covered` the uncovered rest of a partly covered one too, and under `bracketed` a
    // partly filled bracket entry's shares count as covered by its legs
    const hold = (rule: string, detail: string, why: string) =>
      choices.protectsHolding
        ? protectHeld({
          day: snapshot.asOf,
          config,
          account,
          open,
          priceOf: (symbol) => closeOf(snapshot, symbol),
          rule,
          detail,
          why,
          schedule,
          positionIntents: choices.positionIntents,
          remainder: choices.coversRemainder,
          brackets: choices.countsBrackets
        })
        : holding(config.id, rule, detail)
    if (isPm(config.id) && !pitch) {
      return hold("pm-abstained", `${config.id} did not pitch; holding`, `${config.id} did not pitch`)
    }
    // no PM pitched at all (every model down, keys revoked, the budget spent): no decision was made, so a council
    // account holds its book as an abstaining PM's does, rather than selling it as if the council had chosen FLAT
    if (!isPm(config.id) && pitches.length === 0) {
      return hold("no-pitches", `no PM pitched (every one abstained); ${config.id} holds`, "no PM pitched")
    }
    return planAccount({
      day: snapshot.asOf,
      config,
      account,
      open,
      targets: pitch ? pitchTargets(pitch) : councilTargets(decision),
      priceOf: (symbol) => closeOf(snapshot, symbol),
      source: pitch ? `${pitch.pm}'s pitch` : "the council decision",
      schedule,
      groups: choices.groups,
      positionIntents: choices.positionIntents
    })
  }).pipe(
    Effect.catchTag("BrokerError", (error) =>
      Effect.succeed({
        cancels: [],
        intents: [],
        clamps: [],
        rejections: [{ account: config.id, symbol: "*", rule: ACCOUNT_UNAVAILABLE, detail: `could not read the account: ${error.message}` }]
      }))
  )

/** An account that trades nothing today and keeps what it holds, with the rule saying why. */
const holding = (account: AccountId, rule: string, detail: string) => ({
  cancels: [],
  intents: [],
  clamps: [],
  rejections: [{ account, symbol: "*", rule, detail }]
})

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
      const { schedule } = yield* runTiming
      const choices = {
        groups: yield* namesCancelGroups,
        positionIntents: yield* statesPositionIntents,
        protectsHolding: yield* protectsWhenHolding,
        coversRemainder: yield* coversRemainderWhenHolding,
        countsBrackets: yield* countsBracketsWhenHolding
      }
      const plans = yield* Effect.forEach(accounts, (config) => {
        const kept = carried.find((p) => p.account === config.id)
        return kept ? Effect.succeed(kept) : planFor(config, snapshot, book.pitches, decision, schedule, choices)
      }, { concurrency: "unbounded" })
      const verdict: RiskVerdict = {
        asOf: snapshot.asOf,
        cancels: plans.flatMap((p) => p.cancels),
        intents: plans.flatMap((p) => p.intents),
        rejections: plans.flatMap((p) => p.rejections),
        clamps: plans.flatMap((p) => p.clamps)
      }
      // a LIVE account's decision starts `LIVE ·` (`liveTold`); its recorded call keeps the plain subject
      yield* notifyAll(accounts.map(({ id }) => {
        const pitch = book.pitches.find((p) => p.pm === id)
        const abstention = book.abstentions.find((a) => a.pm === id)
        return accountDecision({
          account: id,
          verdict,
          // with no pitch at all the council decided nothing (its account holds: `planFor`), whatever its FLAT says
          ...(!isPm(id)
            ? (book.pitches.length === 0 ? {} : { decision })
            : pitch !== undefined
            ? { pitch }
            : abstention !== undefined
            ? { abstention }
            : {})
        })
      }), liveTold(accounts))
      return verdict
    })
})
