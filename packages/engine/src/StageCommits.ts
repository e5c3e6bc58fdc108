/**
 * When a run's stage checkpoints reach the run store: at once, or held and written several at a time (`Commits`).
 *
 * **When to use**: the runner's alone (`Runner.start`, `Runner.resume` take the policy; `committer` applies it to one
 * execution of a run). A caller chooses `Commits`; nothing else here is public.
 *
 * **Gotchas**: under `batched` the run's row is written with its first commit, so a taken id fails that commit,
 * not the run's start; what is held when a run is interrupted is dropped (see `Commits`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { RunRecord, RunStore, StageCommit } from "./RunStore.ts"
import type * as Stage from "./Stage.ts"

/**
 * When a run's stage checkpoints are written.
 * - `per-stage` (the default): each stage's checkpoint, with its recordings, in a transaction of its own before the
 *   next stage starts. A crash re-runs at most the stage under way. What `run daily` and live LLMs need: a re-run
 *   stage would repeat paid calls and notifications, and could answer differently.
 * - `batched`: checkpoints are held and written together (`RunStore.commitStages`), never across a stage with side
 *   effects: what ran before such a stage is written before it starts, and its own checkpoint as soon as it ends.
 *   A new run's row is written with its first commit: an id already taken fails that commit and the run, and the
 *   run holding it is left as it was (a first stage with side effects has run by then). A crash loses the held
 *   checkpoints, and `resume` re-runs those stages from the first one without a checkpoint. Sound only when
 *   re-running a stage without side effects gives the same output and costs nothing: deterministic answers
 *   (offline or replayed LLMs), reads of a world that only the stages with side effects change, and no
 *   notification anyone sees. The backtest chooses it (`Backtest.runBacktest`) for offline and replayed PMs.
 */
export type Commits = "per-stage" | "batched"

/**
 * Writes a run's stage commits as `commits` says (see `Commits`). `create`: the run, under `batched`, written with
 * its first commit.
 */
export const committer = (store: RunStore["Service"], commits: Commits, create: RunRecord | undefined) => {
  let held: Array<StageCommit> = []
  let unwritten = create
  /** The run's row is in the store: there before, or written by this run (not when its id was taken by another). */
  let stored = create === undefined
  const write = (more: ReadonlyArray<StageCommit>) =>
    Effect.suspend(() => {
      const batch = [...held, ...more]
      const run = unwritten
      held = []
      unwritten = undefined
      if (run === undefined && batch.length <= 1) return batch.length === 0 ? Effect.void : store.commitStage(batch[0]!)
      if (run === undefined) return store.commitStages({ commits: batch })
      return Effect.tap(store.commitStages({ create: run, commits: batch }), () => Effect.sync(() => void (stored = true)))
    })
  const batched = commits === "batched"
  return {
    /** Before `stage` starts: a stage with side effects needs everything before it written. */
    before: (stage: Stage.Any) => (batched && stage.sideEffects && held.length > 0 ? write([]) : Effect.void),
    /** A stage attempt's commit: written at once, or held when `batched` and the stage has no side effects. */
    commit: (stage: Stage.Any, commit: StageCommit) =>
      batched && !stage.sideEffects ? Effect.sync(() => void held.push(commit)) : write([commit]),
    /** Writes whatever is held. */
    flush: write([]),
    /** Whether the run's row is in the store, so its status may be set. */
    runStored: () => stored
  }
}

export type Committer = ReturnType<typeof committer>
