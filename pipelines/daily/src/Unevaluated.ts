/**
 * Which accounts of a risk verdict the gate could not evaluate. A module of its own, importing no stage, so the
 * CLI's progress lines and `show` can use it without loading the pipeline.
 */
import type { Rejection, RiskVerdict } from "@council/domain"

/** The rule of an account the gate could not read: it is not evaluated, and counts as a failed account. */
export const ACCOUNT_UNAVAILABLE = "account-unavailable"

/** The accounts of a verdict that the gate could not evaluate (their reads failed after retries). */
export const unevaluated = (verdict: RiskVerdict): ReadonlyArray<Rejection> =>
  verdict.rejections.filter((r) => r.rule === ACCOUNT_UNAVAILABLE)
