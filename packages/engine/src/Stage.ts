/**
 * A stage of a pipeline: a name, the upstream stages it reads, an output schema and `run`.
 *
 * **When to use**: one stage per step of a run whose output must be checkpointed, compared on replay and reused
 * by forks. The stage's input type is derived from its upstream stages' output schemas, so wiring a stage to the
 * wrong upstream is a compile error.
 *
 * **Gotchas**
 * - `run` must be a function of its input and of services only: no `Date.now`, `Math.random`, environment or
 *   network reads. Every external call goes through the `Recorder` so a replay is exact.
 * - The output schema must encode to JSON (it is checkpointed as JSON text).
 * - `sideEffects: true` marks a stage that changes the outside world (orders, a ledger). It must be idempotent
 *   (the runner may retry it), is never re-run once its checkpoint exists, and one that reaches a broker honours
 *   `RunContext.dryRun`. The runner's `batched` commits never hold a checkpoint across such a stage.
 *
 * @example
 * ```ts
 * const Sized = Stage.make({
 *   name: "Sized",
 *   dependsOn: [FetchData],
 *   output: Schema.Number,
 *   run: ({ FetchData }) => Effect.succeed(FetchData.history.length)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"

/** A stage output schema: any schema that needs no services to encode or decode. */
export type Output = Schema.Codec<unknown, unknown, never, never>

/** Retry policy of one stage: how many extra attempts after a failure, and the first backoff delay. */
export interface StageRetry {
  readonly times: number
  readonly backoff: Duration.Input
}

export interface Stage<
  out Name extends string,
  out Deps extends ReadonlyArray<Any>,
  out Out extends Output,
  out E,
  out R
> {
  readonly name: Name
  readonly dependsOn: Deps
  readonly output: Out
  readonly sideEffects: boolean
  readonly timeout: Duration.Input
  readonly retry: StageRetry
  readonly description: string
  /** A small JSON derived from the encoded output, stored beside the checkpoint (see `make`'s `digest`). */
  readonly digest?: ((encoded: unknown) => Schema.Json) | undefined
  readonly run: (input: Input<Deps>) => Effect.Effect<Out["Type"], E, R>
}

/** Any stage, whatever its types. */
export interface Any {
  readonly name: string
  readonly dependsOn: ReadonlyArray<Any>
  readonly output: Output
  readonly sideEffects: boolean
  readonly timeout: Duration.Input
  readonly retry: StageRetry
  readonly description: string
  readonly digest?: ((encoded: unknown) => Schema.Json) | undefined
  readonly run: (input: never) => Effect.Effect<unknown, unknown, unknown>
}

/** The input a stage receives: one field per upstream stage, named after it, holding that stage's output. */
export type Input<Deps extends ReadonlyArray<Any>> = {
  readonly [S in Deps[number] as S["name"]]: S["output"]["Type"]
}

/** The services a stage needs. */
export type Services<S> = S extends Stage<string, ReadonlyArray<Any>, Output, unknown, infer R> ? R : never

export const defaultTimeout: Duration.Input = "2 minutes"
export const noRetry: StageRetry = { times: 0, backoff: "1 second" }

/** Defines a stage. Defaults: 2 minute timeout, no retry, no side effects. */
export const make = <
  const Name extends string,
  const Deps extends ReadonlyArray<Any>,
  Out extends Output,
  E,
  R
>(spec: {
  readonly name: Name
  readonly dependsOn: Deps
  readonly output: Out
  readonly description?: string
  readonly sideEffects?: boolean
  readonly timeout?: Duration.Input
  readonly retry?: StageRetry
  /**
   * What a report over many runs reads of this stage instead of its output: a pure function of the encoded output,
   * stored beside each checkpoint the runner writes (`RunStore.stageOutputs` with `digests`). Checkpoints without
   * one (older, imported, copied) are read from their output, so a reader must derive the same from either.
   */
  readonly digest?: (encoded: unknown) => Schema.Json
  readonly run: (input: Input<Deps>) => Effect.Effect<Out["Type"], E, R>
}): Stage<Name, Deps, Out, E, R> => ({
  name: spec.name,
  dependsOn: spec.dependsOn,
  output: spec.output,
  description: spec.description ?? spec.name,
  sideEffects: spec.sideEffects ?? false,
  timeout: spec.timeout ?? defaultTimeout,
  retry: spec.retry ?? noRetry,
  ...(spec.digest === undefined ? {} : { digest: spec.digest }),
  run: spec.run
})
