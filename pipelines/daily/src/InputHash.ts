/**
 * The input hashes the council's recorded questions are keyed by (`pm.review`, `chairman.synthesize`): exactly
 * `hashOf` of the same arguments, with each pitch's canonical JSON made once a day instead of once per question that
 * shows it. A day's five pitches appear in four reviewers' ballots each (anonymized once, `PeerReview.anonymize`),
 * as their reviewers' own pitches, and again in the chairman's question.
 *
 * **Gotchas**: the text is assembled from `canonicalJson` of the parts, keys in canonical order, as `canonicalJson`
 * of the whole writes it (the tests hold the two equal): recorded runs are keyed by these hashes, so a replay finds
 * its recordings only while they stay equal. A pitch must not change once hashed (pitches are stage outputs, never
 * mutated).
 */
import type { Abstention, PeerReviewResult, Pitch } from "@council/domain"
import { canonicalJson, textHash } from "@council/engine"
import type { PeerReview } from "@council/llm"

/** Canonical JSON by object: each of a day's pitches is written once. */
const texts = new WeakMap<object, string>()

const canonicalOf = (value: object): string => {
  let text = texts.get(value)
  if (text === undefined) texts.set(value, text = canonicalJson(value))
  return text
}

/** `hashOf({ candidates, own })`: the input of a reviewer's question. */
export const reviewInput = (candidates: ReadonlyArray<PeerReview.Candidate>, own: Pitch | null): string => {
  const shown = candidates.map((c) => `{"label":${JSON.stringify(c.label)},"pitch":${canonicalOf(c.pitch)}}`)
  return textHash(`{"candidates":[${shown.join(",")}],"own":${own === null ? "null" : canonicalOf(own)}}`)
}

/** `hashOf({ pitches, abstentions, review })`: the input of the chairman's question. */
export const chairmanInput = (pitches: ReadonlyArray<Pitch>, abstentions: ReadonlyArray<Abstention>, review: PeerReviewResult): string =>
  textHash(`{"abstentions":${canonicalJson(abstentions)},"pitches":[${pitches.map(canonicalOf).join(",")}],"review":${canonicalJson(review)}}`)
