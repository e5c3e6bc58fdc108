import { Pipeline } from "@council/engine"
import { CouncilSynthesis } from "./stages/CouncilSynthesis.ts"
import { Execution } from "./stages/Execution.ts"
import { FetchData } from "./stages/FetchData.ts"
import { PeerReview } from "./stages/PeerReview.ts"
import { PmPitches } from "./stages/PmPitches.ts"
import { RiskApproval } from "./stages/RiskApproval.ts"

/** One trading day: fetch data → PM pitches → peer review → council synthesis → risk approval → execution. */
export const DailyPipeline = Pipeline.make("daily", [FetchData, PmPitches, PeerReview, CouncilSynthesis, RiskApproval, Execution])
