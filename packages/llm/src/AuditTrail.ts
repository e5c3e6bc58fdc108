/**
 * A run's LLM exchanges, read back from its recordings: for `show <run> --llm`, costs per PM and per stage.
 *
 * **When to use**: `fromRecordings(bundle.recordings)` on any stored or exported run (the exchanges ride inside
 * the recorded answers of `pm.pitch`, `pm.review` and `chairman.synthesize`, so export/import carry them).
 *
 * **Details**: an exchange a fork copied from its parent (the recording's `reusedFrom`) is listed but costs the
 * fork nothing: `costs` counts only exchanges made for the run itself — those a continued run took from its own
 * failed stage attempt (`reusedFrom` its own id, see `usableAnswers`) included.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { type LlmExchange, LlmExchange as LlmExchangeSchema } from "./Exchange.ts"
import { formatUsd } from "./Prices.ts"

/** Why a replay's model failed a question it had no recorded answer for (the exchange a replay records then). */
export const REPLAY_MISS = "a replay asks no model: this call has no recording"

/**
 * Whether a recorded answer is a replay's miss — every exchange failed with `REPLAY_MISS` — rather than anything
 * a model (or a provider's failure) answered: another replay must not take it for an answer.
 */
export const isReplayMiss = (recording: RecordingLike): boolean => {
  const entries = fromRecordings([recording])
  return entries.length > 0 && !entries.some(madeByModel)
}

/** Whether a recorded answer carries an exchange with a model (not only a replay's misses, nor none at all). */
export const askedAModel = (recording: RecordingLike): boolean => fromRecordings([recording]).some(madeByModel)

const madeByModel = ({ exchange }: AuditEntry): boolean => !(exchange.outcome._tag === "Failed" && exchange.outcome.message === REPLAY_MISS)

/** The recorded calls whose answers carry exchanges. */
export const LLM_CALLS: ReadonlyArray<string> = ["pm.pitch(", "pm.review(", "chairman.synthesize("]

/**
 * The recorded answers among `recordings` that a run continued after a failed stage attempt takes instead of
 * asking (and paying) again: a model's usable answer — a pitch, a ranking, a decision — not an abstention, a
 * failure, an offline stand-in's or a replay's miss (those are asked again).
 */
export const usableAnswers = <R extends RecordingLike>(recordings: ReadonlyArray<R>): ReadonlyArray<R> =>
  recordings.filter((r) => {
    if (!LLM_CALLS.some((prefix) => r.key.startsWith(prefix)) || !askedAModel(r)) return false
    const answer = (r.value as { readonly value?: Record<string, unknown> }).value
    return answer !== undefined && ["pitch", "ranking", "decision"].some((field) => answer[field] !== undefined && answer[field] !== null)
  })

export interface AuditEntry {
  readonly stage: string
  readonly exchange: LlmExchange
  /** The run it was made for, when this run reused it. */
  readonly reusedFrom: string | undefined
}

interface RecordingLike {
  /** The run it is a recording of (absent: none is taken for this run's own). */
  readonly runId?: string
  readonly stage: string
  readonly key: string
  readonly value: unknown
}

const Carrier = Schema.Struct({
  _tag: Schema.Literal("Success"),
  reusedFrom: Schema.optionalKey(Schema.String),
  value: Schema.Struct({ exchanges: Schema.Array(LlmExchangeSchema) })
})
const decodeCarrier = Schema.decodeUnknownOption(Carrier)

/** Every exchange in `recordings`, in recording order. */
export const fromRecordings = (recordings: ReadonlyArray<RecordingLike>): ReadonlyArray<AuditEntry> =>
  recordings
    .filter((r) => LLM_CALLS.some((prefix) => r.key.startsWith(prefix)))
    .flatMap((r) => {
      const carrier = decodeCarrier(r.value)
      return carrier._tag === "None"
        ? []
        : carrier.value.value.exchanges.map((exchange) => ({
          stage: r.stage,
          exchange,
          // taken from the run's own failed stage attempt (a continued run): made, and paid, for this run
          reusedFrom: carrier.value.reusedFrom === r.runId ? undefined : carrier.value.reusedFrom
        }))
    })

export interface CostLine {
  readonly stage: string
  readonly actor: string
  readonly model: string
  readonly calls: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  /** Of `costUsd`, what is a worst case charged because usage was unknown (a timeout, a 2xx answer without usage). */
  readonly estimatedUsd: number
}

/** Cost per stage and actor, of the exchanges made for this run (not reused). */
export const costs = (entries: ReadonlyArray<AuditEntry>): ReadonlyArray<CostLine> => {
  const lines = new Map<string, CostLine>()
  for (const { exchange, reusedFrom, stage } of entries) {
    if (reusedFrom !== undefined) continue
    const key = `${stage}\u0000${exchange.actor}\u0000${exchange.model}`
    const line = lines.get(key) ?? { stage, actor: exchange.actor, model: exchange.model, calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, estimatedUsd: 0 }
    lines.set(key, {
      ...line,
      calls: line.calls + exchange.attempts,
      inputTokens: line.inputTokens + (exchange.usage?.input ?? 0),
      outputTokens: line.outputTokens + (exchange.usage?.output ?? 0),
      costUsd: line.costUsd + exchange.costUsd,
      estimatedUsd: line.estimatedUsd + (exchange.costEstimated ? exchange.costUsd : 0)
    })
  }
  return [...lines.values()]
}

export const totalCost = (entries: ReadonlyArray<AuditEntry>): number =>
  costs(entries).reduce((sum, line) => sum + line.costUsd, 0)

const indent = (text: string, prefix = "    ") => text.split("\n").map((l) => `${prefix}${l}`).join("\n")

const usageText = (e: LlmExchange): string =>
  e.usage === null
    ? "usage unknown"
    : `${e.usage.input} in (${e.usage.cachedInput} cached) / ${e.usage.output} out (${e.usage.reasoning} reasoning)`

const outcomeText = (e: LlmExchange): string => {
  switch (e.outcome._tag) {
    case "Parsed":
      return `parsed:\n${indent(JSON.stringify(e.outcome.value, null, 2))}`
    case "Invalid":
      return `validation error:\n${indent(e.outcome.error)}`
    case "Failed":
      return `failed: ${e.outcome.reason}: ${e.outcome.message}`
  }
}

/** One exchange as readable text. */
export const format = ({ exchange: e, reusedFrom, stage }: AuditEntry): string =>
  [
    `── ${stage} · ${e.actor} · ${e.purpose} turn ${e.turn} · ${e.model}${reusedFrom === undefined ? "" : ` · reused from ${reusedFrom}`}`,
    `   ${e.attempts} request${e.attempts === 1 ? "" : "s"} · ${(e.latencyMs / 1000).toFixed(2)} s · ${usageText(e)} · ${formatUsd(e.costUsd)}${e.costEstimated ? " (worst case: usage unknown)" : ""}${e.finishReason === null ? "" : ` · finish ${e.finishReason}`}`,
    ...e.retries.map((r) => `   retried after ${r}`),
    ...e.messages.map((m) => `  [${m.role}]\n${indent(m.content)}`),
    `  [answer]\n${indent(e.answer ?? "(none)")}`,
    `  ${outcomeText(e)}`
  ].join("\n")
