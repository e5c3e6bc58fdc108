/**
 * The run bundle as a file: what `export` writes and `import` / `replay <file>` read. Format
 * `council-run-bundle/3` (as `/2`) carries a hash of the run record, of each stage's checkpoint and of each stage's
 * recordings, so an edited, truncated or spliced bundle is refused before anything is written.
 *
 * **When to use**: `seal` a bundle from `Runner.bundleOf` before writing it; `open` a file's text to get the
 * bundle back, verified.
 *
 * **Gotchas**
 * - The hashes detect accidental and naive edits; they are not a signature (whoever edits a bundle can also
 *   recompute them). Replay still re-derives every stage from its recordings.
 * - Bundles of format `council-run-bundle/1` (written before bundles carried hashes) are refused with a message
 *   that says to export the run again.
 * - `/3` is `/2` under a new number, so that versions that read only `/2` refuse a bundle of this version (they
 *   imported it, then its replay diverged without saying why: their stages are not this version's); this version
 *   reads both. A bundle of a later format is refused as written by a newer version. Raise the number whenever an
 *   older version could not replay what this one exports.
 * - Messages name what is wrong (the stage, the field), never the bundle's content.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { hashOf } from "./Canonical.ts"
import { Checkpoint, Recording, type RunBundle, RunRecord } from "./RunStore.ts"

export const FORMAT = "council-run-bundle/3"

/** The formats this version reads: `FORMAT` and the one before it, of the same shape. */
const READABLE = ["council-run-bundle/2", FORMAT] as const

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
  recordings: Schema.Record(Schema.String, Schema.String)
})

export const BundleFile = Schema.Struct({
  format: Schema.Literals(READABLE),
  run: RunRecord,
  checkpoints: Schema.Array(Checkpoint),
  recordings: Schema.Array(Recording),
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

/** The file form of a bundle, with its hashes. */
export const seal = (bundle: RunBundle): BundleFile => ({
  format: FORMAT,
  run: bundle.run,
  checkpoints: bundle.checkpoints,
  recordings: bundle.recordings,
  hashes: hashesOf(bundle)
})

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
  return foreign === undefined ? undefined : `it holds data of another run (stage ${foreign.stage})`
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
    return { run: file.run, checkpoints: file.checkpoints, recordings: file.recordings }
  })
