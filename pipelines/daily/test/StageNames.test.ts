import { assert, describe, it } from "@effect/vitest"
import { DailyPipeline } from "@council/daily"
import { DAILY_PIPELINE, DAILY_STAGE_NAMES } from "@council/daily/StageNames"

describe("StageNames", () => {
  it("names the daily pipeline's stages in run order, as the pipeline definition does", () => {
    assert.strictEqual(DailyPipeline.name, DAILY_PIPELINE)
    assert.deepStrictEqual(DAILY_STAGE_NAMES, DailyPipeline.stageNames)
  })
})
