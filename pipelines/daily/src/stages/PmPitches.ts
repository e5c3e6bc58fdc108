import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { Abstention, type AccountId, type Bar, AccountSnapshot, type MarketSnapshot, Pitch } from "@council/domain"
import { hashOf, Recorder, Stage, StoreError } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { LlmBudgetExceeded, PmAnswer, PmError, PortfolioManagers, type RosterEntry } from "@council/llm"
import { BarIndex } from "@council/market"
import { runAccounts } from "../DailyParams.ts"
import { FetchData } from "./FetchData.ts"
import { withinWindow } from "../AnswerWindow.ts"
import { allAnswers } from "../AllAnswers.ts"

export const PitchBook = Schema.Struct({
  pitches: Schema.Array(Pitch),
  abstentions: Schema.Array(Abstention)
})
export type PitchBook = typeof PitchBook.Type

/** What a recorded PM call can fail with: only these stop the stage (a bad answer is an abstention). */
export const PmCallFailure = Schema.Union([PmError, LlmBudgetExceeded, StoreError])

/**
 * The state of each LLM PM's own account (cash, positions, P&L), read through the recorder. Offline stand-ins
 * do not read it; an account outside the run or unreadable is `null` (the PM is told so).
 */
const accountStates = (roster: ReadonlyArray<RosterEntry>) =>
  Effect.gen(function*() {
    const brokers = yield* Effect.serviceOption(Brokers)
    const traded = new Set<string>((yield* runAccounts).map((a) => a.id))
    const states = yield* Effect.forEach(
      roster.filter((entry) => !entry.offline && traded.has(entry.pm)),
      ({ pm }) =>
        Option.match(brokers, {
          onNone: () => Effect.succeed([pm, null] as const),
          onSome: (b) =>
            b.get(pm).pipe(
              Effect.flatMap((broker) =>
                Recorder.call("broker.getAccount", { account: pm }, { success: AccountSnapshot, failure: BrokerError }, broker.getAccount)
              ),
              Effect.map((account) => [pm, account] as const),
              Effect.catchTag("BrokerError", () => Effect.succeed([pm, null] as const))
            )
        }),
      { concurrency: "unbounded" }
    )
    return new Map<AccountId, AccountSnapshot | null>(states)
  })

/** A bar's part of a fingerprint. */
const barText = (b: Bar): string => [b.date, b.open, b.high, b.low, b.close, `${b.volume};`].join(",")

/**
 * A content hash of every bar of the snapshot (the canonical JSON of 2,000 bars costs ten times more): the SHA-256
 * of `asOf|universe` then `|SYMBOL:` and its bars' texts per symbol, hashed a symbol at a time. A symbol's bars'
 * text is cut from its whole series' text (`BarIndex.joinedText`: formatted once per series, not once a session).
 */
const fingerprint = (snapshot: MarketSnapshot): string => {
  const hash = createHash("sha256").update(`${snapshot.asOf}|${snapshot.universe.join(",")}`)
  for (const { bars, symbol } of snapshot.history) {
    hash.update(`|${symbol}:`).update(BarIndex.joinedText(bars, barText, ""))
  }
  return hash.digest("hex").slice(0, 32)
}

const askPm = (pms: PortfolioManagers["Service"], entry: RosterEntry, snapshot: MarketSnapshot, snapshotHash: string, account: AccountSnapshot | null) =>
  Recorder.call(
    "pm.pitch",
    { pm: entry.pm, model: entry.model, asOf: snapshot.asOf, input: hashOf({ snapshot: snapshotHash, account }) },
    { success: PmAnswer, failure: PmCallFailure },
    pms.pitch(entry.pm, { snapshot, account })
  ).pipe(
    Effect.map((answer): Result.Result<Pitch, Abstention> =>
      answer.pitch === null ? Result.fail({ pm: entry.pm, reason: answer.abstention ?? "no pitch" }) : Result.succeed(answer.pitch)
    ),
    Effect.catchTag("PmError", (error) => Effect.succeed(Result.fail({ pm: entry.pm, reason: error.message })))
  )

export const PmPitches = Stage.make({
  name: "PmPitches",
  description: "one pitch per PM, concurrently; abstentions recorded",
  dependsOn: [FetchData],
  output: PitchBook,
  timeout: "5 minutes",
  run: ({ FetchData: snapshot }) =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      const accounts = yield* accountStates(pms.roster)
      const snapshotHash = fingerprint(snapshot)
      const outcomes = yield* allAnswers(
        pms.roster,
        (entry) => askPm(pms, entry, snapshot, snapshotHash, accounts.get(entry.pm) ?? null)
      )
      return {
        pitches: outcomes.filter(Result.isSuccess).map((r) => r.success),
        abstentions: outcomes.filter(Result.isFailure).map((r) => r.failure)
      }
    }).pipe(withinWindow("PmPitches"))
})
