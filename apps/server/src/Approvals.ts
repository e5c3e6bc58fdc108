/**
 * What `POST /api/runs/{id}/approve` calls: the composition root provides `RunApprovals` with the very code path of
 * `pnpm pipeline approve` (the CLI's, which the server cannot import); without it the endpoint answers 501.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { RunRecord } from "@council/engine"

/** Why a decision was not taken: `NotFound` (no such run), `Refused` (not awaiting approval, past the cutoff, …). */
export class ApprovalFailure extends Schema.TaggedError<ApprovalFailure>()("ApprovalFailure", {
  kind: Schema.Literals(["NotFound", "Refused"]),
  message: Schema.String
}) {}

export class RunApprovals extends Context.Service<RunApprovals, {
  /** Approves (sends its orders) or rejects a run stopped at the approval gate; the run as it is afterwards. */
  readonly decide: (runId: string, reject: boolean) => Effect.Effect<RunRecord, ApprovalFailure>
}>()("@council/server/RunApprovals") {}
