/**
 * The single door through which a stage reaches the outside world (market data, LLMs, broker reads and writes).
 *
 * **When to use**: wrap every external call a stage makes in `Recorder.call(name, args, schemas, live)`. In
 * `record` mode the live effect runs and its outcome (success or typed failure) is stored; in `replay` mode the
 * stored outcome is returned and the live effect never runs; in `live` mode nothing is stored.
 *
 * **Gotchas**
 * - A call is identified by its name, its JSON arguments and how many identical calls came before it in the same
 *   stage attempt. Keep arguments deterministic (no timestamps).
 * - A replay that meets a call it has no recording for fails with `RecordingMissing` naming the call.
 * - Failures are recorded only when they decode with the `failure` schema; defects and interruptions are not
 *   recorded (the stage fails and is retried or resumed instead).
 * - The recorder keeps what it records (`recordings`); the runner commits them with the stage's checkpoint, in
 *   the same transaction. A stage attempt that never ends (a crash) leaves none.
 * - Values are schema-encoded once (`JsonCodec.encodeJson`): a recorded value that becomes the stage's output is
 *   not encoded again for the checkpoint.
 * - `reuse` (record mode, for forks): a call whose key has a successful recording there is answered from it
 *   instead of going live, and recorded again with `reusedFrom` naming the run it came from. Recorded failures
 *   are asked again. Keys name the question (put the model and an input hash in the arguments), so a call whose
 *   question changed goes live.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { RunId } from "@council/domain"
import { canonicalJson } from "./Canonical.ts"
import { decodeJson, encodeJson, jsonCodec } from "./JsonCodec.ts"
import type { Recording, RecorderMode } from "./RunStore.ts"

export class RecordingMissing extends Schema.TaggedError<RecordingMissing>()("RecordingMissing", {
  stage: Schema.String,
  call: Schema.String
}) {
  override get message() {
    return `replay has no recording for ${this.call} in stage ${this.stage}`
  }
}

export class RecordingCorrupt extends Schema.TaggedError<RecordingCorrupt>()("RecordingCorrupt", {
  stage: Schema.String,
  call: Schema.String,
  message: Schema.String
}) {}

export interface CallSchemas<A, E> {
  readonly success: Schema.Codec<A, unknown>
  readonly failure: Schema.Codec<E, unknown>
}

export interface RecorderShape {
  readonly mode: RecorderMode
  readonly call: <A, E, R>(
    name: string,
    args: unknown,
    schemas: CallSchemas<A, E>,
    live: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RecordingMissing | RecordingCorrupt, R>
  /** How many calls actually reached the outside world in this stage attempt. */
  readonly liveCalls: Effect.Effect<number>
  /** What this stage attempt recorded so far, in call order (record mode; empty otherwise). */
  readonly recordings: Effect.Effect<ReadonlyArray<Recording>>
}

export class Recorder extends Context.Service<Recorder, RecorderShape>()("@council/engine/Recorder") {
  /**
   * Passes every call through (counted as `call` is invoked: through `Recorder.call`, as the call runs); for tests of
   * code that needs a recorder but not recordings, and the backtest's floor.
   */
  static readonly layerLive = Layer.sync(Recorder, () => makeLive())
}

/** The call key: `<name>(<canonical args>)#<occurrence>`. */
const keyOf = (counts: Map<string, number>, name: string, args: unknown): string => {
  const base = `${name}(${canonicalJson(args)})`
  const n = (counts.get(base) ?? 0) + 1
  counts.set(base, n)
  return `${base}#${n}`
}

const makeLive = (): RecorderShape => {
  let live = 0
  return {
    mode: "live",
    // counted as `call` is invoked, without a step of its own: `Recorder.call` invokes it as the call runs
    call: (_name, _args, _schemas, effect) => {
      live++
      return effect
    },
    liveCalls: Effect.sync(() => live),
    recordings: Effect.succeed([])
  }
}

type Outcome<A, E> = { readonly _tag: "Success"; readonly value: A } | { readonly _tag: "Failure"; readonly error: E }

/**
 * A recorded value — `{ _tag: "Success", value, reusedFrom? }` or `{ _tag: "Failure", error }` — decoded with the
 * call's schemas. Other keys are ignored, as they always were.
 */
const decodeOutcome = <A, E>(schemas: CallSchemas<A, E>, recorded: unknown): Exit.Exit<Outcome<A, E>, string> => {
  if (typeof recorded !== "object" || recorded === null || Array.isArray(recorded)) return Exit.fail("not an outcome object")
  const outcome = recorded as Record<string, unknown>
  const decoded = outcome["_tag"] === "Success" && "value" in outcome &&
      (outcome["reusedFrom"] === undefined || typeof outcome["reusedFrom"] === "string")
    ? Exit.map(decodeJson(jsonCodec(schemas.success), outcome["value"]), (value): Outcome<A, E> => ({ _tag: "Success", value }))
    : outcome["_tag"] === "Failure" && "error" in outcome
    ? Exit.map(decodeJson(jsonCodec(schemas.failure), outcome["error"]), (error): Outcome<A, E> => ({ _tag: "Failure", error }))
    : undefined
  if (decoded === undefined) return Exit.fail(`expected {"_tag":"Success","value":…} or {"_tag":"Failure","error":…}`)
  return Exit.mapError(decoded, (e) => e.message)
}

const isSuccess = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Success"

/** Builds the recorder the runner gives one stage attempt. */
export const make = (options: {
  readonly mode: RecorderMode
  readonly runId: RunId
  readonly stage: string
  /** Replay mode: the recordings to answer from (those of the replayed run's stage). */
  readonly recordings?: ReadonlyArray<Recording>
  /** Record mode: successful recordings of another run (a fork's parent) to answer from when the key matches. */
  readonly reuse?: ReadonlyArray<Recording>
}): Effect.Effect<RecorderShape> => Effect.sync(() => makeRecorder(options))

const makeRecorder = (options: Parameters<typeof make>[0]): RecorderShape => {
  const counts = new Map<string, number>()
  const byKey = new Map((options.recordings ?? []).map((r) => [r.key, r] as const))
  const reusable = new Map((options.reuse ?? []).flatMap((r) => isSuccess(r.value) ? [[r.key, r] as const] : []))
  const recorded: Array<Recording> = []
  let liveCount = 0

  const keep = (key: string, value: Schema.Json) =>
    recorded.push({ runId: options.runId, stage: options.stage, key, seq: recorded.length, value })

  const corrupt = (key: string, message: string) => new RecordingCorrupt({ stage: options.stage, call: key, message })

  const replay = <A, E>(key: string, schemas: CallSchemas<A, E>, recording = byKey.get(key)) =>
    Effect.suspend((): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt> => {
      if (!recording) return Effect.fail(new RecordingMissing({ stage: options.stage, call: key }))
      const outcome = decodeOutcome(schemas, recording.value)
      if (Exit.isFailure(outcome)) return Effect.fail(corrupt(key, Option.getOrElse(Cause.findErrorOption(outcome.cause), () => "undecodable")))
      return outcome.value._tag === "Success" ? Effect.succeed(outcome.value.value) : Effect.fail(outcome.value.error)
    })

  const record = <A, E, R>(key: string, schemas: CallSchemas<A, E>, live: Effect.Effect<A, E, R>) =>
    Effect.flatMap(Effect.exit(live), (exit): Effect.Effect<A, E | RecordingCorrupt> => {
      liveCount++
      if (Exit.isSuccess(exit)) {
        const encoded = encodeJson(jsonCodec(schemas.success), exit.value)
        if (Exit.isFailure(encoded)) return Effect.fail(corrupt(key, Cause.pretty(encoded.cause)))
        keep(key, { _tag: "Success", value: encoded.value })
        return exit
      }
      const error = Cause.findErrorOption(exit.cause)
      if (Option.isSome(error)) {
        const encoded = encodeJson(jsonCodec(schemas.failure), error.value)
        if (Exit.isFailure(encoded)) return Effect.fail(corrupt(key, Cause.pretty(encoded.cause)))
        keep(key, { _tag: "Failure", error: encoded.value })
      }
      return exit
    })

  /** Copies a parent's successful recording into this run, marked with where it came from. */
  const reuse = <A, E>(key: string, schemas: CallSchemas<A, E>, recording: Recording) =>
    Effect.suspend(() => {
      const value = recording.value as { readonly [k: string]: Schema.Json }
      keep(key, { ...value, reusedFrom: value["reusedFrom"] ?? recording.runId })
      return replay(key, schemas, recording)
    })

  const call = <A, E, R>(
    name: string,
    args: unknown,
    schemas: CallSchemas<A, E>,
    live: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt, R> =>
    Effect.suspend((): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt, R> => {
      const key = keyOf(counts, name, args)
      switch (options.mode) {
        case "replay":
          return replay(key, schemas)
        case "record": {
          const reused = reusable.get(key)
          return reused === undefined ? record(key, schemas, live) : reuse(key, schemas, reused)
        }
        case "live":
          return Effect.suspend(() => (liveCount++, live))
      }
    })

  return Recorder.of({
    mode: options.mode,
    call,
    liveCalls: Effect.sync(() => liveCount),
    recordings: Effect.sync(() => [...recorded])
  })
}

/** Runs `live` through the current `Recorder`. */
export const call = <A, E, R>(
  name: string,
  args: unknown,
  schemas: CallSchemas<A, E>,
  live: Effect.Effect<A, E, R>
): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt, R | Recorder> =>
  Recorder.use((recorder) => recorder.call(name, args, schemas, live))
