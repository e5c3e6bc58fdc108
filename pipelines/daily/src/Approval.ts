/**
 * The human approval gate of a daily run (`run daily --require-approval`): the run stops before `Execution` with
 * status `awaiting-approval`; a person's decision is kept with the run as a checkpoint named `Approval` (not a
 * stage: the pipeline never computes it, replays skip it, bundles carry it), and the run continues (approved) or
 * ends `rejected`.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Checkpoint } from "@council/engine"

/** The stage the gate stops before. */
export const GATED_STAGE = "Execution"

/** The name of the decision's checkpoint. */
export const APPROVAL_CHECKPOINT = "Approval"

export const ApprovalDecision = Schema.Struct({
  decision: Schema.Literals(["approved", "rejected"]),
  /** `user@host` of whoever decided. */
  by: Schema.String,
  /** When, as an ISO timestamp (UTC). */
  at: Schema.String,
  /** The market moment of the decision (RFC 3339, New York time). */
  moment: Schema.String
})
export type ApprovalDecision = typeof ApprovalDecision.Type

/** The decision recorded among a run's checkpoints, if any. */
export const decisionOf = (checkpoints: ReadonlyArray<Checkpoint>): ApprovalDecision | undefined => {
  const checkpoint = checkpoints.find((c) => c.stage === APPROVAL_CHECKPOINT)
  return checkpoint === undefined ? undefined : Option.getOrUndefined(Schema.decodeUnknownOption(ApprovalDecision)(checkpoint.output))
}
