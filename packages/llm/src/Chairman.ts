/**
 * The chairman turns the day's pitches (and abstentions, and the peer review) into one council decision.
 *
 * **When to use**: the council stage calls `synthesize` once per run and computes `convictionVote` beside it
 * every time (the shadow baseline). `layerOffline` is the keyless default, the deterministic conviction-weighted
 * vote; `LlmCouncil.layerChairman` asks an LLM. A `ChairmanAnswer` without a decision (a bad answer, a timeout,
 * an outage) says why, and the stage falls back to the vote.
 *
 * **The offline vote**
 * 1. One vote per pitch, weight `|conviction|`; LONG counts `+weight`, SHORT `−weight`, FLAT nothing.
 * 2. Net score per symbol = sum of its signed votes.
 * 3. The pick is the symbol with the largest `|net|`; ties go to the alphabetically first symbol.
 * 4. If no symbol reaches `|net| ≥ COUNCIL_MIN_SCORE` (3, net of opposition: more than any single PM can
 *    give, so at least two PMs must agree) the council stays flat: no trades.
 * 5. Direction = sign of net; conviction = `min(2, floor(|net| / 2))` with that sign: net 3 → ±1, net ≥ 4 → ±2.
 * 6. Risk profile and horizon = the most common among the supporting pitches (same symbol and direction);
 *    ties go to the larger summed conviction, then to the more cautious value (TIGHT, 1D first).
 * 7. `dissent` lists every PM whose pitch differs from the decision (its pick and conviction); `votes` lists
 *    every pitch's vote, FLAT ones included with weight 0.
 *
 * **Gotchas**: pitches must be for the snapshot's day, one per PM, and name a universe symbol (or FLAT);
 * anything else fails with `ChairmanError` reason `InvalidInput` (the pitch stage validates first).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type {
  Abstention,
  CouncilTrade,
  Horizon,
  MarketSnapshot,
  Pitch,
  RiskProfile,
  Ticker,
  Vote
} from "@council/domain"
import { CouncilDecision, FLAT } from "@council/domain"
import type { StoreError } from "@council/engine"
import type { LlmBudgetExceeded } from "./Budget.ts"
import type { ChairmanRequest } from "./ChairmanPrompt.ts"
import { LlmExchange } from "./Exchange.ts"

export const COUNCIL_MIN_SCORE = 3
export const OFFLINE_CHAIRMAN_SOURCE = "offline:conviction-vote"

export const ChairmanErrorReason = Schema.Literals(["InvalidInput", "Unavailable", "Timeout", "RateLimited", "InvalidResponse"])
export type ChairmanErrorReason = typeof ChairmanErrorReason.Type

export class ChairmanError extends Schema.TaggedError<ChairmanError>()("ChairmanError", {
  reason: ChairmanErrorReason,
  message: Schema.String
}) {}

const RISK_ORDER: ReadonlyArray<RiskProfile> = ["TIGHT", "BASE", "WIDE"]
const HORIZON_ORDER: ReadonlyArray<Horizon> = ["1D", "1W", "2W", "1M"]

const signed = (n: number): string => (n > 0 ? `+${n}` : `${n}`)
const signOf = (p: Pitch): number => (p.direction === "LONG" ? 1 : p.direction === "SHORT" ? -1 : 0)
const pickOf = (p: Pitch): string =>
  p.symbol === FLAT || p.direction === "FLAT"
    ? `${p.pm}: FLAT`
    : `${p.pm}: ${p.direction} ${p.symbol} (conviction ${signed(p.conviction)})`

/** The most common value among `pitches`; ties by larger summed |conviction|, then by `order`. */
const modeOf = <A extends string>(
  pitches: ReadonlyArray<Pitch>,
  pick: (p: Pitch) => A,
  order: ReadonlyArray<A>
): A => {
  const stats = order.map((value) => {
    const chosen = pitches.filter((p) => pick(p) === value)
    return { value, count: chosen.length, weight: chosen.reduce((a, p) => a + Math.abs(p.conviction), 0) }
  })
  stats.sort((a, b) => b.count - a.count || b.weight - a.weight)
  return stats[0]!.value
}

/** Fails when the pitches are not for this snapshot's day, repeat a PM, or name a symbol outside the universe. */
export const validatePitches = (
  snapshot: MarketSnapshot,
  pitches: ReadonlyArray<Pitch>
): ChairmanError | undefined => {
  const seen = new Set<string>()
  for (const p of pitches) {
    if (p.asOf !== snapshot.asOf) {
      return new ChairmanError({
        reason: "InvalidInput",
        message: `${p.pm} pitched for ${p.asOf} but the council sits on ${snapshot.asOf}`
      })
    }
    if (seen.has(p.pm)) {
      return new ChairmanError({ reason: "InvalidInput", message: `${p.pm} pitched more than once` })
    }
    seen.add(p.pm)
    if (p.symbol !== FLAT && !snapshot.universe.includes(p.symbol)) {
      return new ChairmanError({
        reason: "InvalidInput",
        message: `${p.pm} pitched ${p.symbol}, which is not in the universe (${snapshot.universe.join(", ")})`
      })
    }
  }
  return undefined
}

/** Every pitch's vote: weight |conviction|, 0 for FLAT. */
export const votesOf = (pitches: ReadonlyArray<Pitch>): Array<Vote> =>
  pitches.map((p) => ({
    pm: p.pm,
    symbol: p.symbol,
    direction: p.direction,
    conviction: p.conviction,
    weight: p.symbol === FLAT || p.direction === "FLAT" ? 0 : Math.abs(p.conviction)
  }))

/** The last vote on each pitches array, with what else it was asked with. */
const lastVotes = new WeakMap<ReadonlyArray<Pitch>, {
  readonly snapshot: MarketSnapshot
  readonly abstentions: ReadonlyArray<Abstention>
  readonly decision: CouncilDecision
}>()

/**
 * The offline council: a deterministic conviction-weighted vote (see the module docs). Pitches must be valid.
 * Asked again with the same snapshot, pitches and abstentions (the same objects: the council stage's shadow vote,
 * then the offline chairman's), it returns the same decision object.
 */
export const convictionVote = (
  snapshot: MarketSnapshot,
  pitches: ReadonlyArray<Pitch>,
  abstentions: ReadonlyArray<Abstention>
): CouncilDecision => {
  const last = lastVotes.get(pitches)
  if (last !== undefined && last.snapshot === snapshot && last.abstentions === abstentions) return last.decision
  const decision = vote(snapshot, pitches, abstentions)
  lastVotes.set(pitches, { snapshot, abstentions, decision })
  return decision
}

const vote = (
  snapshot: MarketSnapshot,
  pitches: ReadonlyArray<Pitch>,
  abstentions: ReadonlyArray<Abstention>
): CouncilDecision => {
  const votes = votesOf(pitches)

  const tallies = new Map<Ticker, { readonly symbol: Ticker; net: number; readonly voters: Array<Pitch> }>()
  pitches.forEach((p, i) => {
    if (p.symbol === FLAT || votes[i]!.weight === 0) return
    const tally = tallies.get(p.symbol) ?? { symbol: p.symbol, net: 0, voters: [] }
    tally.net += signOf(p) * votes[i]!.weight
    tally.voters.push(p)
    tallies.set(p.symbol, tally)
  })
  const ranking = [...tallies.values()].sort((a, b) =>
    Math.abs(b.net) - Math.abs(a.net) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
  )

  const header = [
    `Conviction-weighted vote over ${pitches.length} pitch${pitches.length === 1 ? "" : "es"}`,
    abstentions.length === 0 ? "." : ` (abstained: ${abstentions.map((a) => `${a.pm}: ${a.reason}`).join("; ")}).`
  ].join("")
  const tallyLine = ranking.length === 0 ? "" : ` Tally: ${
    ranking.map((t) =>
      `${t.symbol} ${signed(t.net)} (${t.voters.map((p) => `${p.pm} ${p.direction} ${signed(p.conviction)}`).join(", ")})`
    ).join("; ")
  }.`
  const flats = pitches.filter((p) => votes[pitches.indexOf(p)]!.weight === 0).map((p) => p.pm)
  const flatLine = flats.length === 0 ? "" : ` No vote: ${flats.join(", ")}.`

  const best = ranking[0]
  const flat = (why: string): CouncilDecision => ({
    asOf: snapshot.asOf,
    trades: [],
    rationale: `${header}${tallyLine}${flatLine} ${why}`,
    dissent: pitches.filter((p) => votes[pitches.indexOf(p)]!.weight > 0).map(pickOf),
    votes,
    source: OFFLINE_CHAIRMAN_SOURCE
  })
  if (pitches.length === 0) return flat("Council stays flat: there are no pitches.")
  if (best === undefined) return flat("Council stays flat: every pitch is FLAT.")
  if (Math.abs(best.net) < COUNCIL_MIN_SCORE) {
    return flat(
      `Council stays flat: the best net score, ${best.symbol} ${
        signed(best.net)
      }, is below the threshold of ${COUNCIL_MIN_SCORE}.`
    )
  }

  const direction = best.net > 0 ? "LONG" : "SHORT"
  const magnitude = Math.min(2, Math.floor(Math.abs(best.net) / 2))
  const supporters = best.voters.filter((p) => p.direction === direction)
  const trade: CouncilTrade = {
    symbol: best.symbol,
    direction,
    conviction: best.net > 0 ? magnitude : -magnitude,
    riskProfile: modeOf(supporters, (p) => p.riskProfile, RISK_ORDER),
    horizon: modeOf(supporters, (p) => p.horizon, HORIZON_ORDER)
  }
  const tied = ranking.filter((t) => t !== best && Math.abs(t.net) === Math.abs(best.net)).map((t) => t.symbol)
  return {
    asOf: snapshot.asOf,
    trades: [trade],
    rationale: `${header}${tallyLine}${flatLine} Council goes ${direction} ${best.symbol} at conviction ${
      signed(trade.conviction)
    }: net ${signed(best.net)} meets the threshold of ${COUNCIL_MIN_SCORE} (conviction = min(2, floor(|net| / 2)))${
      tied.length === 0 ? "" : `; tied with ${tied.join(", ")}, broken alphabetically`
    }. ${trade.riskProfile} risk and ${trade.horizon} horizon from ${supporters.map((p) => p.pm).join(", ")}.`,
    dissent: pitches.filter((p) => !supporters.includes(p)).map(pickOf),
    votes,
    source: OFFLINE_CHAIRMAN_SOURCE
  }
}

/** The chairman's answer: a decision, or why there is none; and the LLM exchanges behind it. */
export const ChairmanAnswer = Schema.Struct({
  decision: Schema.NullOr(CouncilDecision),
  failure: Schema.NullOr(Schema.String),
  exchanges: Schema.Array(LlmExchange)
})
export type ChairmanAnswer = typeof ChairmanAnswer.Type

export type ChairmanFailure = ChairmanError | LlmBudgetExceeded | StoreError

/** What `layerTest` answers: a fixed decision, an error, or a function of the request. */
export type ScriptedDecision =
  | CouncilDecision
  | ChairmanError
  | ((request: ChairmanRequest) => Effect.Effect<CouncilDecision, ChairmanError>)

const decided = (decision: CouncilDecision): ChairmanAnswer => ({ decision, failure: null, exchanges: [] })

/** Untraced, as the offline PMs are (`PortfolioManager.ts`): a span would cost more than the vote. */
const offlineSynthesize = Effect.fnUntraced(function*(request: ChairmanRequest) {
  const invalid = validatePitches(request.snapshot, request.pitches)
  if (invalid) return yield* invalid
  return decided(convictionVote(request.snapshot, request.pitches, request.abstentions))
})

export class Chairman extends Context.Service<Chairman, {
  /** Who decides, e.g. `offline:conviction-vote` or `anthropic:claude-sonnet-4-6`. */
  readonly model: string
  readonly synthesize: (request: ChairmanRequest) => Effect.Effect<ChairmanAnswer, ChairmanFailure>
}>()("@council/llm/Chairman") {
  /** The deterministic conviction-weighted vote. */
  static readonly layerOffline: Layer.Layer<Chairman> = Layer.succeed(
    Chairman,
    Chairman.of({ model: OFFLINE_CHAIRMAN_SOURCE, synthesize: offlineSynthesize })
  )

  /** Answers with `script` (a decision, an error, or a function); without one, votes like `layerOffline`. */
  static readonly layerTest = (script?: ScriptedDecision): Layer.Layer<Chairman> =>
    Layer.succeed(
      Chairman,
      Chairman.of({
        model: script === undefined ? OFFLINE_CHAIRMAN_SOURCE : "test:scripted",
        synthesize: script === undefined
          ? offlineSynthesize
          : Effect.fn("Chairman.synthesize")(function*(request: ChairmanRequest) {
            if (typeof script === "function") return decided(yield* script(request))
            if (script instanceof ChairmanError) return yield* script
            return decided(script)
          })
      })
    )
}
