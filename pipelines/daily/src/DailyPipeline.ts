import { Pipeline } from "@council/engine"
import { CouncilSynthesis } from "./stages/CouncilSynthesis.ts"
import { Execution } from "./stages/Execution.ts"
import { FetchData } from "./stages/FetchData.ts"
import { PeerReview } from "./stages/PeerReview.ts"
import { PmPitches } from "./stages/PmPitches.ts"
import { Reconcile } from "./stages/Reconcile.ts"
import { RiskApproval } from "./stages/RiskApproval.ts"
import { DAILY_PIPELINE } from "./StageNames.ts"

/**
 * One trading day: reconcile the ledger → fetch data → PM pitches → peer review → council synthesis → risk
 * approval → execution.
 */
export const DailyPipeline = Pipeline.make(DAILY_PIPELINE, [Reconcile, FetchData, PmPitches, PeerReview, CouncilSynthesis, RiskApproval, Execution])
