import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"

/**
 * The most a question to a model may take, whatever its policy's deadline (`undefined`: the policy decides). The
 * daily stages set it under the `close` schedule (`AnswerWindow` in `@council/daily`) so that the council answers
 * before the market-on-close cutoff: a question cut short by it ends as a timeout (the PM abstains, a review is left
 * out, the chairman's fallback decides). A module of its own so that offline runs set it without loading `Ask`.
 *
 * @since 0.1.0
 */
export const AnswerWithin = Context.Reference<Duration.Duration | undefined>("@council/llm/AnswerWithin", {
  defaultValue: () => undefined
})
