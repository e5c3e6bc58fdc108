/**
 * The daily pipeline's name and its stages in run order, as plain strings: for help texts that must not load the
 * stages (and everything they import). `DailyPipeline` is built under this name, and a test keeps the stage list
 * equal to `DailyPipeline.stageNames`.
 */
export const DAILY_PIPELINE = "daily"

export const DAILY_STAGE_NAMES: ReadonlyArray<string> = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]
