/**
 * A pipeline: a named DAG of stages, validated when it is defined.
 *
 * **When to use**: define a pipeline once at module level with `Pipeline.make`; the `Runner` executes it in
 * topological order and `toMermaid` draws it.
 *
 * **Gotchas**
 * - Validation throws `PipelineDefinitionError` at definition time (module load): duplicate names, a dependency
 *   that is not part of the pipeline, or a cycle.
 * - Stages run one at a time in the order of `stages` (a topological order that keeps the listed order among
 *   independent stages), so a checkpoint is always written before the next stage starts.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as Stage from "./Stage.ts"

export class PipelineDefinitionError extends Schema.TaggedError<PipelineDefinitionError>()(
  "PipelineDefinitionError",
  { pipeline: Schema.String, message: Schema.String }
) {}

export interface Pipeline<S extends Stage.Any = Stage.Any> {
  readonly name: string
  /** In execution (topological) order. */
  readonly stages: ReadonlyArray<S>
  readonly stageNames: ReadonlyArray<string>
}

/** The union of the services a pipeline's stages need. */
export type Services<P> = P extends Pipeline<infer S> ? Stage.Services<S> : never

export const make = <const Stages extends ReadonlyArray<Stage.Any>>(
  name: string,
  stages: Stages
): Pipeline<Stages[number]> => {
  const fail = (message: string) => {
    throw new PipelineDefinitionError({ pipeline: name, message })
  }
  const byName = new Map<string, Stage.Any>()
  for (const stage of stages) {
    if (byName.has(stage.name)) fail(`duplicate stage name "${stage.name}"`)
    byName.set(stage.name, stage)
  }
  for (const stage of stages) {
    for (const dep of stage.dependsOn) {
      if (byName.get(dep.name) !== dep) {
        fail(`stage "${stage.name}" depends on "${dep.name}", which is not part of the pipeline`)
      }
    }
  }
  const ordered: Array<Stage.Any> = []
  const state = new Map<string, "visiting" | "done">()
  const visit = (stage: Stage.Any, path: ReadonlyArray<string>): void => {
    const seen = state.get(stage.name)
    if (seen === "done") return
    if (seen === "visiting") fail(`cycle: ${[...path, stage.name].join(" -> ")}`)
    state.set(stage.name, "visiting")
    for (const dep of stage.dependsOn) visit(dep, [...path, stage.name])
    state.set(stage.name, "done")
    ordered.push(stage)
  }
  for (const stage of stages) visit(stage, [])
  return {
    name,
    stages: ordered as ReadonlyArray<Stages[number]>,
    stageNames: ordered.map((s) => s.name)
  }
}

/** A Mermaid flowchart of the pipeline, generated from its definition. */
export const toMermaid = (pipeline: Pipeline): string => {
  const lines = ["flowchart LR"]
  for (const s of pipeline.stages) {
    const label = s.sideEffects ? `${s.name}<br/><i>side effects</i>` : s.name
    lines.push(`  ${s.name}["${label}"]`)
  }
  for (const s of pipeline.stages) {
    for (const d of s.dependsOn) lines.push(`  ${d.name} --> ${s.name}`)
  }
  return lines.join("\n")
}
