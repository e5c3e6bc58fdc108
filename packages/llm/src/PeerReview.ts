/**
 * Peer review mechanics: which pitches a reviewer sees and under which labels, the offline reviewer's ranking,
 * and the Borda count.
 *
 * **When to use**: the peer-review stage builds each reviewer's ballot with `ballotFor` (the reviewer's own pitch
 * is left out there, by construction), asks the reviewer to rank the labels, and aggregates with `borda`.
 *
 * **Details**
 * - Labels are `A`, `B`, … in the order shown; the order is a Fisher–Yates shuffle seeded by
 *   SHA-256(`seed/reviewer`), so every reviewer sees its own order and every run with the same seed the same one.
 *   The daily pipeline seeds with the trading day (runs from before: the run id), so a backtest's review prompts
 *   for a day are a live run's.
 * - The anonymous pitch carries no PM name or model: those fields are dropped, and any PM name or model id in the
 *   text is replaced with `a PM`.
 * - Borda: on a ballot of n pitches the first gets n−1 points, the last 0; points add up over ballots. The
 *   aggregate is sorted by points, then by PM order.
 * - A run's peer review asks only the PMs that pitched (`NOT_ASKED_AFTER_ABSTAINING` says why the others did
 *   not review); runs recorded before asked every PM.
 * - The offline reviewer ranks pitches agreeing with its own first (same symbol and direction, then same
 *   direction), then by |conviction|, then by label.
 *
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import type { AccountId, BordaScore, Pitch, ReviewBallot } from "@council/domain"
import { FLAT } from "@council/domain"

/** A pitch as a reviewer sees it: no PM, no model. */
export interface AnonymousPitch {
  readonly symbol: string
  readonly direction: Pitch["direction"]
  readonly conviction: number
  readonly thesis: ReadonlyArray<string>
  readonly riskProfile: Pitch["riskProfile"]
  readonly horizon: Pitch["horizon"]
  readonly invalidation: string
}

export interface Candidate {
  readonly label: string
  readonly pitch: AnonymousPitch
}

export interface Ballot {
  readonly reviewer: AccountId
  readonly candidates: ReadonlyArray<Candidate>
  /** label → whose pitch it is (kept by the stage, never shown to the reviewer). */
  readonly owners: ReadonlyMap<string, AccountId>
}

/**
 * Why a PM is not asked to review on a day it abstained from pitching (a run recording `reviewers: pitched`): its
 * failure that day (a refusal, a timeout, unreadable answers, the budget) would most likely repeat, paid for again
 * and holding the review's share of the time as long.
 */
export const NOT_ASKED_AFTER_ABSTAINING = "not asked: it abstained from pitching today"

const labelOf = (i: number): string =>
  i < 26 ? String.fromCharCode(65 + i) : `${String.fromCharCode(65 + Math.floor(i / 26) - 1)}${String.fromCharCode(65 + (i % 26))}`

/** A deterministic PRNG (mulberry32) seeded from the SHA-256 of `seed`. */
const random = (seed: string): (() => number) => {
  // the first four bytes of the digest, little-endian (a hex digest is several times cheaper to get than a Buffer)
  const hex = hash("sha256", seed, "hex")
  let state = Number.parseInt(`${hex.slice(6, 8)}${hex.slice(4, 6)}${hex.slice(2, 4)}${hex.slice(0, 2)}`, 16)
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A Fisher–Yates shuffle of `items` seeded by `seed`. */
export const seededShuffle = <A>(items: ReadonlyArray<A>, seed: string): Array<A> => {
  const next = random(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const tmp = out[i]!
    out[i] = out[j]!
    out[j] = tmp
  }
  return out
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/** Each pitch's anonymous form, with the names it was scrubbed of: every reviewer of a day is shown the same pitch. */
const anonymized = new WeakMap<Pitch, { readonly names: string; readonly pitch: AnonymousPitch }>()

/** Each names list's key, joined once: a day's reviewers share one list, and each candidate of each ballot asks. */
const namesKeys = new WeakMap<ReadonlyArray<string>, string>()

const keyOf = (names: ReadonlyArray<string>): string => {
  let key = namesKeys.get(names)
  if (key === undefined) namesKeys.set(names, key = names.join("\u0000"))
  return key
}

/** Drops the PM and model, and replaces their names anywhere in the text. */
export const anonymize = (pitch: Pitch, names: ReadonlyArray<string>): AnonymousPitch => {
  const key = keyOf(names)
  const known = anonymized.get(pitch)
  if (known !== undefined && known.names === key) return known.pitch
  const anonymous = scrub(pitch, names)
  anonymized.set(pitch, { names: key, pitch: anonymous })
  return anonymous
}

/** The scrubbing pattern per word list (joined): a day's pitches draw theirs from the same few names. */
const patterns = new Map<string, RegExp | undefined>()

const patternOf = (words: ReadonlyArray<string>): RegExp | undefined => {
  const key = words.join("\u0000")
  if (patterns.has(key)) return patterns.get(key)
  const pattern = words.length === 0 ? undefined : new RegExp(words.map(escape).join("|"), "gi")
  if (patterns.size < 1_000) patterns.set(key, pattern)
  return pattern
}

const scrub = (pitch: Pitch, names: ReadonlyArray<string>): AnonymousPitch => {
  const words = [...new Set([...names, pitch.pm, pitch.source].filter((w) => w.length > 1))]
  // a global pattern is safe to share: `replace` starts it from the text's beginning every time
  const pattern = patternOf(words)
  const clean = (text: string) => (pattern === undefined ? text : text.replace(pattern, "a PM"))
  return {
    symbol: pitch.symbol,
    direction: pitch.direction,
    conviction: pitch.conviction,
    thesis: pitch.thesis.map(clean),
    riskProfile: pitch.riskProfile,
    horizon: pitch.horizon,
    invalidation: clean(pitch.invalidation)
  }
}

/**
 * The ballot of `reviewer` under `seed` (the trading day, or a run id): every pitch but its own, shuffled and
 * labelled. `names` (the roster's PMs and models) are scrubbed from the text.
 */
export const ballotFor = (
  seed: string,
  reviewer: AccountId,
  pitches: ReadonlyArray<Pitch>,
  names: ReadonlyArray<string>
): Ballot => {
  const others = pitches.filter((p) => p.pm !== reviewer)
  const shuffled = seededShuffle(others, `${seed}/${reviewer}`)
  return {
    reviewer,
    candidates: shuffled.map((p, i) => ({ label: labelOf(i), pitch: anonymize(p, names) })),
    owners: new Map(shuffled.map((p, i) => [labelOf(i), p.pm] as const))
  }
}

const agreement = (own: Pitch | null, pitch: AnonymousPitch): number => {
  if (own === null) return 0
  if (own.symbol === pitch.symbol && own.direction === pitch.direction) return 2
  return own.direction === pitch.direction ? 1 : 0
}

/** The offline reviewer's ranking of `candidates` (labels, best first). */
export const offlineRanking = (own: Pitch | null, candidates: ReadonlyArray<Candidate>): ReadonlyArray<string> =>
  [...candidates]
    .sort((a, b) =>
      agreement(own, b.pitch) - agreement(own, a.pitch) ||
      Math.abs(b.pitch.conviction) - Math.abs(a.pitch.conviction) ||
      (a.label < b.label ? -1 : 1)
    )
    .map((c) => c.label)

export const offlineRationale = (own: Pitch | null): string =>
  own === null || own.symbol === FLAT
    ? "Offline reviewer: ranks by conviction (no own position to compare with)."
    : `Offline reviewer: ranks pitches agreeing with its own ${own.direction} ${own.symbol} first, then by conviction.`

/** Borda points over `ballots`, best first (ties in `order`). Every PM of `order` that was ranked appears. */
export const borda = (ballots: ReadonlyArray<ReviewBallot>, order: ReadonlyArray<string>): ReadonlyArray<BordaScore> => {
  const scores = new Map<AccountId, { points: number; ballots: number }>()
  for (const ballot of ballots) {
    const n = ballot.ranking.length
    ballot.ranking.forEach((pm, i) => {
      const s = scores.get(pm) ?? { points: 0, ballots: 0 }
      scores.set(pm, { points: s.points + (n - 1 - i), ballots: s.ballots + 1 })
    })
  }
  const rank = (pm: string) => (order.indexOf(pm) < 0 ? order.length : order.indexOf(pm))
  return [...scores.entries()]
    .map(([pm, s]) => ({ pm, points: s.points, ballots: s.ballots }))
    .sort((a, b) => b.points - a.points || rank(a.pm) - rank(b.pm) || (a.pm < b.pm ? -1 : 1))
}
