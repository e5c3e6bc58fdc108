/**
 * The run bundle as a file: what `export` writes and `import` / `replay <file>` read. Format
 * `council-run-bundle/4` carries a hash of the run record, of each stage's checkpoint, of each stage's recordings
 * and, for a run that reused stages of others (a fork, a retry of a day's failed accounts), of the parameters of
 * each run it reused (`origins`: a reused stage replays with them), so an edited, truncated or spliced bundle is
 * refused before anything is written.
 *
 * **When to use**: `seal` a bundle from `Runner.bundleOf` before writing it; `open` a file's text to get the
 * bundle back, verified.
 *
 * **Gotchas**
 * - The hashes detect accidental and naive edits; they are not a signature (whoever edits a bundle can also
 *   recompute them). Replay still re-derives every stage from its recordings.
 * - Bundles of format `council-run-bundle/1` (written before bundles carried hashes) are refused with a message
 *   that says to export the run again.
 * - `/4` added `origins` (written only when the run reused stages: a plain run's bundle is `/3`'s byte for byte
 *   but the number); `/3` is `/2` under a new number. This version reads all three; `/2` and `/3` carry no
 *   origins (anything under that name in them is ignored), so an older bundle of a retry replays as it did. A
 *   bundle of a later format is refused as written by a newer version. Raise the number whenever an older version
 *   could not replay what this one exports.
 * - Messages name what is wrong (the stage, the field, the run), never the bundle's content.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { hashOf } from "./Canonical.ts"
import { Checkpoint, Recording, type RunBundle, RunRecord, reusedRuns } from "./RunStore.ts"

export const FORMAT = "council-run-bundle/4"

/** The formats this version reads: `FORMAT` and the two before it (`/2` and `/3` are `/4` without `origins`). */
const READABLE = ["council-run-bundle/2", "council-run-bundle/3", FORMAT] as const

/** `council-run-bundle/N` → N. */
const formatNumber = (format: unknown): number | undefined => {
  const match = typeof format === "string" ? /^council-run-bundle\/(\d+)$/.exec(format) : null
  return match === null ? undefined : Number(match[1])
}

const Hashes = Schema.Struct({
  run: Schema.String,
  /** By stage name. */
  checkpoints: Schema.Record(Schema.String, Schema.String),
  /** By stage name: the hash of that stage's recordings, in order. */
  recordings: Schema.Record(Schema.String, Schema.String),
  /** `/4`, by run id: the hash of the parameters of that origin run. */
  origins: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})

export const BundleFile = Schema.Struct({
  format: Schema.Literals(READABLE),
  run: RunRecord,
  checkpoints: Schema.Array(Checkpoint),
  recordings: Schema.Array(Recording),
  /** `/4`: `RunBundle.origins`, present only when the run reused stages. */
  origins: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json)),
  hashes: Hashes
})
export type BundleFile = typeof BundleFile.Type

export class BundleRejected extends Schema.TaggedError<BundleRejected>()("BundleRejected", {
  message: Schema.String
}) {}

const stagesOf = (items: ReadonlyArray<{ readonly stage: string }>) => [...new Set(items.map((i) => i.stage))]

const hashesOf = (bundle: Pick<RunBundle, "run" | "checkpoints" | "recordings">): typeof Hashes.Type => ({
  run: hashOf(bundle.run),
  checkpoints: Object.fromEntries(bundle.checkpoints.map((c) => [c.stage, hashOf(c)])),
  recordings: Object.fromEntries(
    stagesOf(bundle.recordings).map((stage) => [stage, hashOf(bundle.recordings.filter((r) => r.stage === stage))])
  )
})

const originHashes = (origins: NonNullable<RunBundle["origins"]>): Record<string, string> =>
  Object.fromEntries(Object.entries(origins).map(([id, params]) => [id, hashOf(params)]))

/** The file form of a bundle, with its hashes; `origins` only when the bundle has some (a plain run has none). */
export const seal = (bundle: RunBundle): BundleFile => {
  const hashes = hashesOf(bundle)
  const origins = bundle.origins
  if (origins === undefined || Object.keys(origins).length === 0) {
    return { format: FORMAT, run: bundle.run, checkpoints: bundle.checkpoints, recordings: bundle.recordings, hashes }
  }
  return {
    format: FORMAT,
    run: bundle.run,
    checkpoints: bundle.checkpoints,
    recordings: bundle.recordings,
    origins,
    hashes: { ...hashes, origins: originHashes(origins) }
  }
}

/** Why `file`'s origins do not match their hashes or its stages, or `undefined` when they do (or it has none). */
const originMismatch = (file: BundleFile): string | undefined => {
  const origins = file.origins ?? {}
  const expected = file.hashes.origins ?? {}
  for (const [id, hash] of Object.entries(originHashes(origins))) {
    if (expected[id] === undefined) return `the parameters of run ${id} (whose stages it reused) have no hash`
    if (expected[id] !== hash) return `the parameters of run ${id} (whose stages it reused) do not match their hash`
  }
  const missing = Object.keys(expected).find((id) => !(id in origins))
  if (missing !== undefined) return `the parameters of run ${missing} (whose stages it reused) are missing`
  const reused = new Set<string>(reusedRuns(file.checkpoints))
  const stray = Object.keys(origins).find((id) => !reused.has(id))
  return stray === undefined ? undefined : `it holds the parameters of run ${stray}, none of whose stages it reused`
}

/** Why `file` does not match its hashes, or `undefined` when every part does. */
const mismatch = (file: BundleFile): string | undefined => {
  const actual = hashesOf(file)
  if (actual.run !== file.hashes.run) return "its run record does not match its hash"
  for (const part of ["checkpoints", "recordings"] as const) {
    const what = part === "checkpoints" ? "checkpoint" : "recordings"
    for (const [stage, hash] of Object.entries(actual[part])) {
      const expected = file.hashes[part][stage]
      if (expected === undefined) return `the ${what} of stage ${stage} has no hash`
      if (expected !== hash) return `the ${what} of stage ${stage} does not match its hash`
    }
    const missing = Object.keys(file.hashes[part]).find((stage) => !(stage in actual[part]))
    if (missing !== undefined) return `the ${what} of stage ${missing} is missing`
  }
  const foreign = [...file.checkpoints, ...file.recordings].find((item) => item.runId !== file.run.id)
  if (foreign !== undefined) return `it holds data of another run (stage ${foreign.stage})`
  return file.format === FORMAT ? originMismatch(file) : undefined
}

const decodeFile = Schema.decodeUnknownEffect(BundleFile)

/** Reads a bundle file's text (`name` labels messages) and verifies its format and hashes. */
export const open = (name: string, text: string): Effect.Effect<RunBundle, BundleRejected> =>
  Effect.gen(function*() {
    const reject = (why: string) => new BundleRejected({ message: `${name} ${why}` })
    const json = yield* Effect.try({ try: (): unknown => JSON.parse(text), catch: () => reject("is not a Council run bundle (not JSON)") })
    const format = typeof json === "object" && json !== null && "format" in json ? json.format : undefined
    if (format === "council-run-bundle/1") {
      return yield* reject(
        "is a council-run-bundle/1 bundle, written before bundles carried hashes; export the run again with this version"
      )
    }
    const number = formatNumber(format)
    if (number !== undefined && number > formatNumber(FORMAT)!) {
      return yield* reject(
        `was written by a newer version of Council (format ${String(format)}; this version reads up to ${FORMAT}): import it with that version or a later one`
      )
    }
    if (!READABLE.some((readable) => readable === format)) {
      return yield* reject(`is not a Council run bundle (expected format ${FORMAT})`)
    }
    const file = yield* decodeFile(json).pipe(
      Effect.mapError((e) => reject(`is not a valid Council run bundle: ${(e.message.split("\n")[0] ?? "").replace(/, got [\s\S]*$/, "").slice(0, 160)}`))
    )
    const wrong = mismatch(file)
    if (wrong !== undefined) return yield* reject(`was changed after export: ${wrong}; refusing it`)
    const bundle: RunBundle = { run: file.run, checkpoints: file.checkpoints, recordings: file.recordings }
    // `/2` and `/3` carry no origins: what one holds under that name was not written by any version
    return file.format === FORMAT && file.origins !== undefined ? { ...bundle, origins: file.origins } : bundle
  })
