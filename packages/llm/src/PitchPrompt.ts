/**
 * What an LLM PM is asked each day and the answer it must give.
 *
 * **When to use**: the LLM-backed `PortfolioManagers` asks `pitchQuestion(pm, request)` and turns the decoded
 * answer into a `Pitch` with `toPitch`.
 *
 * **Details**
 * - The system message is the same for every PM and every day (provider prompt caches hit on it); the user
 *   message carries the PM's name, the day's market brief, its account and the answer reminder.
 * - `pitchAnswer(universe)` is the schema sent and checked: the symbol is an enum of the universe plus `FLAT`;
 *   direction, conviction and symbol must agree (`FLAT` ⇔ conviction 0, LONG > 0, SHORT < 0).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import {
  type AccountId,
  type AccountSnapshot,
  Conviction,
  Direction,
  FLAT,
  Horizon,
  type MarketSnapshot,
  type Pitch,
  RiskProfile,
  type Ticker
} from "@council/domain"
import type { Question } from "./Ask.ts"
import { accountBrief, marketBrief } from "./MarketBrief.ts"

export const PITCH_SYSTEM = [
  "You are a portfolio manager on Council, an LLM trading council. Every trading day each portfolio manager pitches",
  "one trade for its own paper account from the same market snapshot; a chairman then decides for the council's",
  "account, and a deterministic risk gate sizes every order (|conviction| 2 is sized larger than 1).",
  "",
  "Answer with one JSON object:",
  "- symbol: one ticker of the universe, or FLAT for no position;",
  "- direction: LONG or SHORT for a trade, FLAT (with symbol FLAT) for none;",
  "- conviction: an integer from -2 to 2, positive for LONG, negative for SHORT, 0 only for FLAT;",
  "- thesis: 1 to 5 short points grounded in the numbers given;",
  "- riskProfile: TIGHT, BASE or WIDE (how far the protective stop sits);",
  "- horizon: 1D, 1W, 2W or 1M;",
  "- invalidation: what would prove the trade wrong.",
  "Use only the data given: nothing after the as-of close is known."
].join("\n")

export interface PitchRequest {
  readonly snapshot: MarketSnapshot
  /** The PM's own account (cash, positions, P&L), or null when it cannot be read. */
  readonly account: AccountSnapshot | null
}

const consistent = (a: { readonly symbol: string; readonly direction: Direction; readonly conviction: number }) =>
  (a.symbol === FLAT) === (a.direction === "FLAT") && (a.direction === "FLAT") === (a.conviction === 0) &&
  (a.direction !== "LONG" || a.conviction > 0) && (a.direction !== "SHORT" || a.conviction < 0)

/** The answer schema of a day with `universe`. */
export const pitchAnswer = (universe: ReadonlyArray<Ticker>) =>
  Schema.Struct({
    symbol: Schema.Literals([...universe, FLAT]).annotate({ description: "a ticker of the universe, or FLAT" }),
    direction: Direction,
    conviction: Conviction.annotate({ description: "-2..2: positive LONG, negative SHORT, 0 FLAT" }),
    thesis: Schema.Array(Schema.String).check(Schema.isMinLength(1), Schema.isMaxLength(5)),
    riskProfile: RiskProfile,
    horizon: Horizon,
    invalidation: Schema.String
  }).check(Schema.makeFilter(consistent, {
    message: "symbol FLAT, direction FLAT and conviction 0 go together; LONG needs a positive conviction, SHORT a negative one"
  }))
export type PitchAnswer = ReturnType<typeof pitchAnswer>["Type"]

export const pitchQuestion = (pm: AccountId, request: PitchRequest): Question<PitchAnswer> => ({
  purpose: "pitch",
  actor: pm,
  system: PITCH_SYSTEM,
  user: [
    `You are ${pm}. Today's market snapshot:`,
    "",
    marketBrief(request.snapshot),
    "",
    accountBrief(request.account),
    "",
    `Pitch your trade for ${request.snapshot.asOf} as one JSON object.`
  ].join("\n"),
  objectName: "trade_pitch",
  schema: pitchAnswer(request.snapshot.universe)
})

export const toPitch = (pm: AccountId, snapshot: MarketSnapshot, answer: PitchAnswer, source: string): Pitch => ({
  pm,
  asOf: snapshot.asOf,
  symbol: answer.symbol as Pitch["symbol"],
  direction: answer.direction,
  conviction: answer.conviction,
  thesis: answer.thesis,
  riskProfile: answer.riskProfile,
  horizon: answer.horizon,
  invalidation: answer.invalidation,
  source
})
