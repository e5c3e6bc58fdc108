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
 * - `reuse` (record mode, for forks): a call whose key has a successful recording there is answered from it
 *   instead of going live, and recorded again with `reusedFrom` naming the run it came from. Recorded failures
 *   are asked again. Keys name the question (put the model and an input hash in the arguments), so a call whose
 *   question changed goes live.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { RunId } from "@council/domain"
import { canonicalJson } from "./Canonical.ts"
import type { Recording, RecorderMode, StoreError } from "./RunStore.ts"
import { RunStore } from "./RunStore.ts"

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
  ) => Effect.Effect<A, E | RecordingMissing | RecordingCorrupt | StoreError, R>
  /** How many calls actually reached the outside world in this stage attempt. */
  readonly liveCalls: Effect.Effect<number>
}

export class Recorder extends Context.Service<Recorder, RecorderShape>()("@council/engine/Recorder") {
  /** Passes every call through; for tests of code that needs a recorder but not recordings. */
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
    call: (_name, _args, _schemas, effect) => Effect.suspend(() => (live++, effect)),
    liveCalls: Effect.sync(() => live)
  }
}

const Outcome = <A, E>(schemas: CallSchemas<A, E>) =>
  Schema.toCodecJson(Schema.Union([
    Schema.TaggedStruct("Success", { value: schemas.success, reusedFrom: Schema.optionalKey(Schema.String) }),
    Schema.TaggedStruct("Failure", { error: schemas.failure })
  ]))

const isSuccess = (value: unknown): boolean =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Success"

/** Builds the recorder the runner gives one stage attempt. */
export const make = Effect.fnUntraced(function*(options: {
  readonly mode: RecorderMode
  readonly runId: RunId
  readonly stage: string
  /** Replay mode: the recordings to answer from (those of the replayed run's stage). */
  readonly recordings?: ReadonlyArray<Recording>
  /** Record mode: successful recordings of another run (a fork's parent) to answer from when the key matches. */
  readonly reuse?: ReadonlyArray<Recording>
}) {
  const store = yield* RunStore
  const counts = new Map<string, number>()
  const byKey = new Map((options.recordings ?? []).map((r) => [r.key, r] as const))
  const reusable = new Map((options.reuse ?? []).flatMap((r) => isSuccess(r.value) ? [[r.key, r] as const] : []))
  let seq = 0
  let liveCount = 0

  const replay = <A, E>(key: string, schemas: CallSchemas<A, E>, recording = byKey.get(key)) =>
    Effect.gen(function*() {
      if (!recording) return yield* new RecordingMissing({ stage: options.stage, call: key })
      const outcome = yield* Schema.decodeUnknownEffect(Outcome(schemas))(recording.value).pipe(
        Effect.mapError((e) => new RecordingCorrupt({ stage: options.stage, call: key, message: e.message }))
      )
      return outcome._tag === "Success" ? outcome.value : yield* Effect.fail(outcome.error)
    })

  const record = <A, E, R>(key: string, schemas: CallSchemas<A, E>, live: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      liveCount++
      const exit = yield* Effect.exit(live)
      type Outcome = { readonly _tag: "Success"; readonly value: A } | { readonly _tag: "Failure"; readonly error: E }
      const outcome: Option.Option<Outcome> = Exit.isSuccess(exit)
        ? Option.some({ _tag: "Success", value: exit.value })
        : Option.map(Cause.findErrorOption(exit.cause), (error): Outcome => ({ _tag: "Failure", error }))
      if (Option.isSome(outcome)) {
        const value = yield* Schema.encodeUnknownEffect(Outcome(schemas))(outcome.value).pipe(
          Effect.mapError((e) => new RecordingCorrupt({ stage: options.stage, call: key, message: e.message }))
        )
        yield* store.putRecording({ runId: options.runId, stage: options.stage, key, seq: seq++, value })
      }
      return yield* exit
    })

  /** Copies a parent's successful recording into this run, marked with where it came from. */
  const reuse = <A, E>(key: string, schemas: CallSchemas<A, E>, recording: Recording) =>
    Effect.gen(function*() {
      const value = { reusedFrom: recording.runId, ...(recording.value as object) }
      yield* store.putRecording({ runId: options.runId, stage: options.stage, key, seq: seq++, value })
      return yield* replay(key, schemas, recording)
    })

  const call = <A, E, R>(
    name: string,
    args: unknown,
    schemas: CallSchemas<A, E>,
    live: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt | StoreError, R> =>
    Effect.suspend((): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt | StoreError, R> => {
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

  return Recorder.of({ mode: options.mode, call, liveCalls: Effect.sync(() => liveCount) })
})

/** Runs `live` through the current `Recorder`. */
export const call = <A, E, R>(
  name: string,
  args: unknown,
  schemas: CallSchemas<A, E>,
  live: Effect.Effect<A, E, R>
): Effect.Effect<A, E | RecordingMissing | RecordingCorrupt | StoreError, R | Recorder> =>
  Recorder.use((recorder) => recorder.call(name, args, schemas, live))
