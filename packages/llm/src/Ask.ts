/**
 * One structured question to one model, the way every council role asks: within budget, with the provider's
 * retry schedule and a per-call timeout, validated by our Schema, corrected once, audited.
 *
 * **When to use**: the LLM-backed PMs, reviewers and chairman call `ask(model, question)`; it works with any
 * `effect/ai` `LanguageModel` (our adapters or a test layer).
 *
 * **How a question is asked**
 * 1. The budget reserves the call's worst case (or the run fails with `LlmBudgetExceeded`: nothing is sent).
 * 2. `generateObject` runs; each HTTP attempt is bounded by `policy.timeout`; retryable failures (rate limited,
 *    overloaded, 5xx, network) are retried on the provider's schedule, honouring `retry-after`. A retry after a
 *    request the provider may have billed (a connection dropped after sending) reserves its own worst case first.
 * 3. The answer is decoded with the question's schema (the provider's promise is never trusted). An answer that
 *    does not validate gets one corrective turn: the answer and the validation error are quoted back (an answer
 *    without text — a refusal, or output spent on thinking — is left out: Anthropic refuses an empty turn). An
 *    answer stopped by the output cap says so first (`cut off at the output limit (N tokens): …`), to the model
 *    and in the abstention reason, so the user knows to raise `COUNCIL_MAX_OUTPUT_TOKENS`.
 * 4. Every turn becomes an `LlmExchange` (messages, raw answer, parsed value or error, attempts, usage, cost,
 *    latency); its cost is the usage its requests reported plus the worst case of each request that may have been
 *    billed without one (`chargeOf`). The whole question is bounded by `policy.deadline`, or by `AnswerWithin` when that is shorter (a
 *    daily stage's share of the time before the market-on-close cutoff).
 *
 * **Gotchas**: `ask` never fails for a bad answer, a timeout or an outage: it returns `value: undefined` with the
 * reason; only the budget (and the spend ledger's store) fail it. Each failed attempt is also logged at WARN
 * (`llm <actor> <model>: <reason>`, key-free); the CLI sends logs to stderr. Usage comes from the adapters' `WireLog`, so it
 * survives an answer that fails validation; a `LanguageModel` without one reports usage only on success.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as AiError from "effect/ai/AiError"
import type * as LanguageModel from "effect/ai/LanguageModel"
import type * as Response from "effect/ai/Response"
import * as OpenAiStructuredOutput from "effect/ai/OpenAiStructuredOutput"
import type { StoreError } from "@council/engine"
import { nestsDeeperThan } from "@council/io/JsonDepth"
import { AnswerWithin } from "./AnswerWithin.ts"
import { type Charge, LlmBudget, type LlmBudgetExceeded, type Reservation, type Settled } from "./Budget.ts"
import {
  addUsage,
  type FailureReason,
  type LlmExchange,
  type Message,
  type Purpose,
  type TokenUsage,
  type WireAttempt,
  WireLog,
  zeroUsage
} from "./Exchange.ts"
import { type ModelSpec, modelName } from "./Models.ts"
import { estimateTokens } from "./Prices.ts"
import { classify, RETRY_POLICIES, type RetryPolicy, retrySchedule } from "./ProviderErrors.ts"
import { unfence } from "./ProviderHttp.ts"

export interface CallPolicy {
  /** Each HTTP attempt. */
  readonly timeout: Duration.Input
  /** The whole question, retries and the corrective turn included. */
  readonly deadline: Duration.Input
  readonly retry: RetryPolicy
}

export const DEFAULT_CALL_TIMEOUT: Duration.Input = "90 seconds"
export const DEFAULT_DEADLINE: Duration.Input = "4 minutes"

/** A configured model of a council role. */
export interface RoleModel {
  readonly spec: ModelSpec
  readonly languageModel: LanguageModel.LanguageModel
  readonly policy: CallPolicy
}

export const roleModel = (
  spec: ModelSpec,
  languageModel: LanguageModel.LanguageModel,
  policy: Partial<CallPolicy> = {}
): RoleModel => ({
  spec,
  languageModel,
  policy: {
    timeout: policy.timeout ?? DEFAULT_CALL_TIMEOUT,
    deadline: policy.deadline ?? DEFAULT_DEADLINE,
    retry: policy.retry ?? RETRY_POLICIES[spec.provider]
  }
})

export interface Question<A> {
  readonly purpose: Purpose
  readonly actor: string
  /** The stable part (instructions), sent first so provider prompt caches hit. */
  readonly system: string
  /** The day's part (data). */
  readonly user: string
  readonly objectName: string
  readonly schema: Schema.Codec<A, Record<string, unknown>>
}

export interface Answer<A> {
  readonly value: A | undefined
  readonly failure: { readonly reason: FailureReason; readonly message: string } | undefined
  readonly exchanges: ReadonlyArray<LlmExchange>
}

/** The user turn that asks for a corrected answer. */
export const correction = (error: string): string =>
  `Your previous answer could not be used:\n${error}\n\nAnswer again with one JSON object that fixes this and follows the required schema exactly.`

type TurnResult<A> =
  | { readonly _tag: "Parsed"; readonly value: A }
  | { readonly _tag: "Invalid"; readonly error: string; readonly answer: string }
  | { readonly _tag: "Failed"; readonly reason: FailureReason; readonly message: string }

const usageOfResponse = (response: { readonly usage: Response.Usage }): TokenUsage => {
  const { inputTokens, outputTokens } = response.usage
  return {
    input: inputTokens.total ?? 0,
    cachedInput: inputTokens.cacheRead ?? 0,
    cacheWrite: inputTokens.cacheWrite ?? 0,
    output: outputTokens.total ?? 0,
    reasoning: outputTokens.reasoning ?? 0
  }
}

/** The deepest answer kept parsed in the audit record (a pitch nests 3 levels): a deeper one is kept as its text. */
const MAX_AUDIT_DEPTH = 64

/**
 * The answer as the audit record keeps it: parsed, or its text when it is no JSON or nests past `MAX_AUDIT_DEPTH`
 * (the schema drops an unknown field however deep, but the record keeps it, and storing `[[[[…]]]]` 100,000 deep
 * overflowed the stack and failed the whole stage, every PM's pitch with it).
 */
const parsedJson = (text: string): Schema.Json => {
  if (nestsDeeperThan(text, MAX_AUDIT_DEPTH)) return text
  try {
    return JSON.parse(text) as Schema.Json
  } catch {
    return text
  }
}

/** Finish reasons (raw, per wire) of an answer stopped by the output cap: OpenAI `length`, Anthropic `max_tokens`. */
const CUT_OFF = new Set(["length", "max_tokens"])

const isInvalidAnswer = (error: AiError.AiError | Cause.TimeoutError): error is AiError.AiError =>
  !Cause.isTimeoutError(error) && classify(error).reason === "InvalidAnswer"

/** What one turn saw on the wire: requests made, what each answered, why each retry happened. */
interface TurnLog {
  readonly wire: Array<WireAttempt>
  readonly failures: Array<string>
  attempts: number
  /** Requests the budget reserved for. */
  reserved: number
}

/** Whether the provider may have billed a request it answered with `w` (an error status is not billed). */
const mayBill = (w: WireAttempt): boolean =>
  w.status === null ? w.sent : w.status >= 200 && w.status < 300 && w.billable !== false

/**
 * What `attempts` requests cost, `wire` being what the adapter reported of them: the usage they reported, and
 * those that may have been billed without a usage — sent but never answered (timed out, interrupted, dropped),
 * or answered 2xx without one. `answered` is the usage of the final answer when the `LanguageModel` keeps no
 * wire log.
 */
export const chargeOf = (
  log: { readonly wire: ReadonlyArray<WireAttempt>; readonly attempts: number },
  answered?: TokenUsage
): Charge => {
  let usage: TokenUsage | null = null
  let unknownRequests = log.attempts - log.wire.length
  if (answered !== undefined && unknownRequests > 0) {
    usage = answered
    unknownRequests--
  }
  for (const w of log.wire) {
    if (w.usage !== null) usage = addUsage(usage ?? zeroUsage, w.usage)
    else if (mayBill(w)) unknownRequests++
  }
  return { usage, unknownRequests }
}

/** Requests so far that the provider may have billed (each needs its own reservation). */
const mayHaveBilled = (log: TurnLog): number =>
  log.attempts - log.wire.length + log.wire.filter((w) => w.usage !== null || mayBill(w)).length

const lastAnswer = (log: TurnLog): string | null => log.wire.findLast((w) => w.text !== null)?.text ?? null

interface TurnSettlement {
  readonly charge: Charge
  /** The answer text when the wire log has none (a `LanguageModel` without one). */
  readonly answer: string | null
  readonly finish: string | null
}

/** The reason an answer the provider sent cannot be used (a refusal), as the adapter saw it; `null` when it gave none. */
const explainedByWire = (log: TurnLog): string | null => {
  const last = log.wire.at(-1)
  return last !== undefined && last.status !== null && last.status < 300 ? last.error : null
}

/**
 * Why `answer` fails the question's own schema, as its decoder says it (`Expected an integer at ["conviction"]`):
 * the provider codec `generateObject` decodes with drops some checks' names (an integer check fails as
 * `Expected <filter>`), which tells the model nothing in the corrective turn. `undefined` when the answer is not
 * JSON or passes the schema (the codec's own message stands).
 */
const schemaMessage = <A>(schema: Question<A>["schema"], answer: string | null): string | undefined => {
  if (answer === null) return undefined
  let json: unknown
  try {
    json = JSON.parse(unfence(answer))
  } catch {
    return undefined
  }
  const exit = Schema.decodeUnknownExit(schema)(json)
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.findErrorOption(exit.cause)
  return error._tag === "Some" ? error.value.message : undefined
}

/** What a finished turn amounts to, and how to settle it. */
const resultOf = <A>(
  exit: Exit.Exit<LanguageModel.GenerateObjectResponse<{}, A, "opaque">, AiError.AiError | Cause.TimeoutError>,
  log: TurnLog,
  timeout: Duration.Duration,
  maxOutputTokens: number,
  schema: Question<A>["schema"]
): { readonly result: TurnResult<A>; readonly settlement: TurnSettlement } | Cause.Cause<never> => {
  if (Exit.isSuccess(exit)) {
    const response = exit.value
    return {
      result: { _tag: "Parsed", value: response.value },
      settlement: { charge: chargeOf(log, usageOfResponse(response)), answer: response.text, finish: response.finishReason }
    }
  }
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "None") return exit.cause as Cause.Cause<never>
  const classified = classify(error.value, timeout)
  if (isInvalidAnswer(error.value)) {
    const reason = error.value.reason
    const answer = reason._tag === "StructuredOutputError" ? reason.responseText : lastAnswer(log) ?? ""
    const last = log.wire.at(-1)
    const explained = explainedByWire(log)
    const described = explained ?? schemaMessage(schema, answer) ??
      ("description" in reason && typeof reason.description === "string" ? reason.description : classified.message)
    const finish = last?.finishReason ?? null
    const description = finish !== null && CUT_OFF.has(finish)
      ? `cut off at the output limit (${maxOutputTokens} tokens): ${described}`
      : described
    return { result: { _tag: "Invalid", error: description, answer }, settlement: { charge: chargeOf(log), answer, finish: null } }
  }
  return {
    result: { _tag: "Failed", reason: classified.reason, message: classified.message },
    settlement: { charge: chargeOf(log), answer: null, finish: null }
  }
}

/** What one turn asks: the same for its request, its retries and its audit record. */
interface Turn<A> {
  readonly model: RoleModel
  readonly question: Question<A>
  readonly messages: ReadonlyArray<Message>
  readonly turnNo: number
  /** The model's name as audited and priced. */
  readonly name: string
  /** Each HTTP attempt's bound. */
  readonly timeout: Duration.Duration
  readonly log: TurnLog
}

/** The audit record of a settled turn: the last request's messages and answer, how it ended, what it cost. */
const exchangeOf = <A>(
  turn: Turn<A>,
  result: TurnResult<A>,
  settlement: TurnSettlement,
  settled: Settled,
  latencyMs: number
): LlmExchange => {
  const { log, question } = turn
  const last = log.wire.at(-1)
  return {
    purpose: question.purpose,
    actor: question.actor,
    model: turn.name,
    turn: turn.turnNo,
    messages: last?.messages ?? turn.messages,
    answer: lastAnswer(log) ?? settlement.answer,
    outcome: result._tag === "Parsed"
      ? { _tag: "Parsed", value: parsedJson(settlement.answer ?? "") }
      : result._tag === "Invalid"
      ? { _tag: "Invalid", error: result.error }
      : { _tag: "Failed", reason: result.reason, message: result.message },
    attempts: log.attempts,
    retries: result._tag === "Parsed" ? log.failures : log.failures.slice(0, -1),
    usage: settlement.charge.usage,
    costUsd: settled.costUsd,
    costEstimated: settled.estimated,
    latencyMs,
    finishReason: last?.finishReason ?? settlement.finish
  }
}

/**
 * The turn's requests, retried on the provider's schedule. A retry after a request that may have been billed
 * reserves its own worst case first; a refusal of that is handed to `refused` and stops the retries.
 */
const requests = <A>(
  turn: Turn<A>,
  budget: LlmBudget["Service"],
  reservation: Reservation,
  refused: (error: LlmBudgetExceeded | StoreError) => void
) => {
  const { log, model, question, timeout } = turn
  const reserveRetry = Effect.suspend(() =>
    log.attempts === 0 || mayHaveBilled(log) < log.reserved
      ? Effect.void
      : budget.reserveRetry(reservation).pipe(
        Effect.tap(() => Effect.sync(() => log.reserved++)),
        Effect.catch((error) => {
          refused(error)
          return Effect.fail(AiError.make({
            module: "Budget",
            method: "generateObject",
            reason: new AiError.InvalidRequestError({ description: error.message })
          }))
        })
      )
  )
  const once = reserveRetry.pipe(Effect.andThen(Effect.suspend(() => {
    log.attempts++
    return model.languageModel.generateObject({
      prompt: turn.messages.map((m) => ({ role: m.role, content: m.content })),
      schema: question.schema,
      objectName: question.objectName
    })
  }).pipe(
    Effect.provideService(WireLog, (attempt) => void log.wire.push(attempt)),
    Effect.timeout(timeout),
    Effect.tapError((error) => {
      // a refusal is logged as one, not as the decoding error its text gave
      const explained = isInvalidAnswer(error)
        ? explainedByWire(log) ?? schemaMessage(question.schema, error.reason._tag === "StructuredOutputError" ? error.reason.responseText : lastAnswer(log))
        : null
      const line = explained === null || explained === undefined ? describe(error, timeout) : `InvalidAnswer: ${explained}`
      log.failures.push(line)
      return Effect.logWarning(`llm ${question.actor} ${turn.name}: ${line.replace(/\s*\n\s*/g, " ")}`)
    })
  )))
  return Effect.retry(once, retrySchedule(model.policy.retry))
}

/**
 * One turn of a question: reserve, ask (retried on the provider's schedule), settle, audit into `exchanges`. Only
 * the requests can be interrupted (a deadline, Ctrl-C): a reservation made is always settled, to what the requests
 * sent cost (see `chargeOf`), then the interruption goes on.
 */
const askTurn = <A>(
  model: RoleModel,
  question: Question<A>,
  messages: ReadonlyArray<Message>,
  turnNo: number,
  exchanges: Array<LlmExchange>,
  timedOut: string
) =>
  Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
    const budget = yield* LlmBudget
    const name = modelName(model.spec)
    const timeout = Duration.fromInputUnsafe(model.policy.timeout)
    const schemaText = JSON.stringify(OpenAiStructuredOutput.toCodecOpenAI(question.schema).jsonSchema)
    const reservation = yield* budget.reserve({
      actor: question.actor,
      purpose: question.purpose,
      model: name,
      inputTokens: estimateTokens(messages.map((m) => m.content).join("\n") + schemaText),
      maxOutputTokens: model.spec.maxOutputTokens
    })
    const started = yield* Clock.currentTimeMillis
    const turn: Turn<A> = {
      model,
      question,
      messages,
      turnNo,
      name,
      timeout,
      log: { wire: [], failures: [], attempts: 0, reserved: 1 }
    }

    const record = (result: TurnResult<A>, settlement: TurnSettlement) =>
      Effect.gen(function*() {
        const settled = yield* budget.settle(reservation, settlement.charge)
        exchanges.push(exchangeOf(turn, result, settlement, settled, (yield* Clock.currentTimeMillis) - started))
        return result
      })
    /** Settled to what the requests sent cost, when no answer came. */
    const unsettled = (): TurnSettlement => ({ charge: chargeOf(turn.log), answer: null, finish: null })

    /** A budget refusal of a retry: the turn stops there and the question fails with it. */
    let refused: LlmBudgetExceeded | StoreError | undefined
    const exit = yield* Effect.exit(restore(requests(turn, budget, reservation, (error) => {
      refused = error
    })))
    if (Exit.hasInterrupts(exit)) {
      yield* record({ _tag: "Failed", reason: "Timeout", message: timedOut }, unsettled())
      return yield* Effect.interrupt
    }
    if (refused !== undefined) {
      const error = refused
      yield* record({ _tag: "Failed", reason: "InvalidRequest", message: error.message }, unsettled())
      return yield* Effect.fail(error)
    }
    const outcome = resultOf(exit, turn.log, timeout, model.spec.maxOutputTokens, question.schema)
    if (Cause.isCause(outcome)) {
      // a defect: what was reserved is settled all the same, then the defect goes on
      yield* Effect.ignore(budget.settle(reservation, chargeOf(turn.log)))
      return yield* Effect.failCause(outcome)
    }
    return yield* record(outcome.result, outcome.settlement)
  }))

/** Asks `question` of `model`: see the module docs. */
export const ask = <A>(
  model: RoleModel,
  question: Question<A>
): Effect.Effect<Answer<A>, LlmBudgetExceeded | StoreError, LlmBudget> =>
  Effect.flatMap(AnswerWithin, (within) => {
    const policy = Duration.fromInputUnsafe(model.policy.deadline)
    return within !== undefined && Duration.isLessThan(within, policy)
      ? askWithin(model, question, within, `no valid answer within ${Duration.format(within)}, the stage's share of the time before the market-on-close cutoff`)
      : askWithin(model, question, policy, `no valid answer within ${Duration.format(policy)}`)
  })

const askWithin = <A>(
  model: RoleModel,
  question: Question<A>,
  deadline: Duration.Duration,
  timedOut: string
): Effect.Effect<Answer<A>, LlmBudgetExceeded | StoreError, LlmBudget> => {
  const exchanges: Array<LlmExchange> = []
  const conversation = Effect.gen(function*(): Effect.fn.Return<Answer<A>, LlmBudgetExceeded | StoreError, LlmBudget> {
    const messages: ReadonlyArray<Message> = [
      { role: "system", content: question.system },
      { role: "user", content: question.user }
    ]
    const first = yield* askTurn(model, question, messages, 1, exchanges, timedOut)
    if (first._tag === "Parsed") return { value: first.value, failure: undefined, exchanges }
    if (first._tag === "Failed") return { value: undefined, failure: first, exchanges }
    const second = yield* askTurn(model, question, [
      ...messages,
      ...(first.answer.trim() === "" ? [] : [{ role: "assistant" as const, content: first.answer }]),
      { role: "user", content: correction(first.error) }
    ], 2, exchanges, timedOut)
    if (second._tag === "Parsed") return { value: second.value, failure: undefined, exchanges }
    return {
      value: undefined,
      failure: second._tag === "Failed"
        ? second
        : { reason: "InvalidAnswer", message: `invalid answer after a corrective retry: ${second.error.split("\n")[0]}` },
      exchanges
    }
  })
  return conversation.pipe(
    Effect.timeoutOrElse({
      duration: deadline,
      orElse: () => Effect.succeed<Answer<A>>({ value: undefined, failure: { reason: "Timeout", message: timedOut }, exchanges })
    })
  )
}

/** One line per failed attempt, e.g. `RateLimited: openai answered 429 (…) (retry after 2s)`. */
const describe = (error: AiError.AiError | Cause.TimeoutError, timeout: Duration.Duration): string => {
  const c = classify(error, timeout)
  const wait = c.retryAfterMs === undefined ? "" : ` (retry after ${Duration.format(Duration.millis(c.retryAfterMs))})`
  return `${c.reason}: ${c.message}${wait}`
}
