/**
 * What a run bundle file (`import`, `replay <bundle.json>`) may be beyond its format and hashes, which anyone who
 * edits a bundle can recompute: checked before its text is parsed (size, nesting) and before anything is written
 * (its run ids).
 *
 * **Why**: a bundle comes from elsewhere (a colleague, a ticket). A file of gigabytes would be read whole; JSON
 * nested a hundred thousand levels deep overflows the stack of every recursive reader (the schema, the hashes,
 * the API's encoder) and ended `import` as an "internal error"; a run id is shown by `runs`, the dashboard and its
 * links, and put in the commands Council suggests (`replay <id>`), so one of a megabyte, or of markup, escapes,
 * `/` or `..`, is refused rather than stored.
 *
 * **Rules**
 * - At most `MAX_BYTES` on disk, nested at most `MAX_DEPTH` arrays and objects deep (Council's own bundles nest
 *   about ten levels).
 * - Every run id the bundle names (its run's, the parent's, each checkpoint's `reusedFrom`, each origin's) is
 *   `RUN_ID`: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 100 characters — what
 *   Council writes (`2026-06-08-81239e31`, `2026-06-08-bt`) and nothing a terminal, a page or a shell reads as more.
 * - Messages name the file and what is wrong, never the bundle's content.
 *
 * @since 0.1.0
 */
import type { RunBundle } from "@council/engine"
import { nestsDeeperThan } from "@council/io/JsonDepth"

/** The largest bundle file read (a run's bundle is well under a megabyte; one with many LLM calls a few). */
export const MAX_BYTES = 256 * 1024 * 1024

/** The deepest nesting of arrays and objects read. */
export const MAX_DEPTH = 256

/** A run id as Council writes one. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** Why `text` is not read as a bundle (too deep), or `undefined`. */
export const textProblem = (text: string): string | undefined =>
  nestsDeeperThan(text, MAX_DEPTH) ? `nests arrays and objects deeper than ${MAX_DEPTH} levels (Council's bundles nest about 10)` : undefined

/** Why the file is not read at all (too large, given its size in bytes), or `undefined`. */
export const sizeProblem = (bytes: number): string | undefined =>
  bytes > MAX_BYTES ? `is ${Math.ceil(bytes / (1024 * 1024))} MiB, more than a run bundle may be (${MAX_BYTES / (1024 * 1024)} MiB)` : undefined

/** Why `bundle`'s run ids are not Council's, or `undefined` when every one is. */
export const idProblem = (bundle: RunBundle): string | undefined => {
  const named: ReadonlyArray<readonly [string, string | null]> = [
    ["its run id", bundle.run.id],
    ["the id of the run it was forked from", bundle.run.parentRunId],
    ...bundle.checkpoints.map((c) => [`the id of the run its stage ${RUN_ID.test(c.stage) ? c.stage : "?"} was reused from`, c.reusedFrom] as const),
    ...Object.keys(bundle.origins ?? {}).map((id) => ["the id of a run whose stages it reused", id] as const)
  ]
  const bad = named.find(([, id]) => id !== null && !RUN_ID.test(id))
  return bad === undefined
    ? undefined
    : `is refused: ${bad[0]} is not one Council writes (letters, digits, '.', '_' and '-', at most 100 characters)`
}
