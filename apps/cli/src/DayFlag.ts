/**
 * A date flag's value (`--from`, `--to`) as a trading day, or the one line that says what is wrong with it: a value
 * not shaped `YYYY-MM-DD` is named with the shape expected; one shaped so that is no day of the calendar
 * (`2026-02-30`) is said to be no calendar date, as `run daily --date` and the API say it — not sent back to a format
 * it already has.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { TradingDay } from "@council/domain"
import { BarIndex } from "@council/market"
import { CliFailure } from "./CliFailure.ts"

export const dayOfFlag = (flag: string, raw: string): Effect.Effect<TradingDay, CliFailure> =>
  BarIndex.isCalendarDate(raw)
    ? Effect.succeed(TradingDay.make(raw))
    : Schema.is(TradingDay)(raw)
    ? Effect.fail(CliFailure.usage(`--${flag} ${raw}: ${raw} is not a calendar date`))
    : Effect.fail(CliFailure.usage(`--${flag}: expected a date YYYY-MM-DD, got "${raw.slice(0, 40)}"`))
