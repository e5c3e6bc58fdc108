import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { RunBundle, RunRecord } from "@council/engine"
import { PM_NAMES } from "@council/domain"
import { DailyParams } from "@council/daily"
import { Lineup, LlmBudget, type LlmSettings, Models, Prices } from "@council/llm"
import { Database } from "@council/store"
import { AppSettings } from "../AppConfig.ts"
import { type CouncilLayer, offlineCouncil as offline } from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import { counted } from "../Table.ts"

/** The council of a run: its services, what the run records about them, and what to say before it asks. */
export interface Council {
  readonly lineup: Lineup.Lineup
  readonly layer: CouncilLayer
  readonly params: { readonly pms: string; readonly models: ReadonlyArray<Lineup.RecordedModel> }
  /** Said on stderr once every check passed, just before the run starts. */
  readonly announce: Effect.Effect<void>
}

const usage = Effect.mapError((e: Lineup.LlmConfigError) => CliFailure.usage(e.message))

const paramsOf = (lineup: Lineup.Lineup): Council["params"] => ({
  pms: Lineup.describeLineup(lineup),
  models: Lineup.recordedModels(lineup)
})

/** The adapters, the seating and `fetch`, loaded only when a model may be asked (offline runs never load them). */
const liveModules = Effect.promise(async () => {
  const [{ Seating }, { layer: http }] = await Promise.all([import("@council/llm/live"), import("effect/http/FetchHttpClient")])
  return { Seating, http }
})

const liveLayer = (lineup: Lineup.Lineup, settings: LlmSettings.LlmSettings, prices: Prices.PriceTable): CouncilLayer =>
  Layer.unwrap(Effect.map(liveModules, ({ Seating, http }) =>
    Seating.layer(lineup, { settings }).pipe(
      Layer.provideMerge(Seating.budgetLayer(settings, prices)),
      Layer.provide(http)
    )))

const announce = (lineup: Lineup.Lineup) =>
  lineup.mode === "offline"
    ? Effect.void
    : Console.error([`LLM ${Lineup.describeLineup(lineup)}`, ...lineup.notes.map((n) => `  ${n}`)].join("\n"))

/**
 * The council of a new run trading `accounts`, from the checked settings: offline stand-ins, or LLMs (`--pms` picks
 * which PMs ask theirs; without COUNCIL among `accounts` only the traded PMs' pitches are asked, see
 * `Lineup.fromSettings`). In live mode a missing key or an unpriced model is a usage error naming the role and the
 * variable. Opens nothing.
 */
export const forRun = (pms: Option.Option<string>, accounts: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { prices, settings } = (yield* AppSettings).llm
    const selected = Option.getOrUndefined(Option.map(pms, (list) => list.split(",").map((s) => s.trim().toUpperCase()).filter((s) => s !== "")))
    if (selected !== undefined && selected.length === 0) {
      return yield* CliFailure.usage(`--pms: no PM named (the PMs are ${PM_NAMES.join(", ")})`)
    }
    const lineup = yield* Lineup.fromSettings(settings, prices, selected, accounts).pipe(usage)
    const layer = lineup.mode === "offline" ? offline : liveLayer(lineup, settings, prices)
    return { lineup, layer, params: paramsOf(lineup), announce: announce(lineup) } satisfies Council
  })

/**
 * The lineup a run recorded in its `params`: as it was (`replayed`: its answers come from recordings keyed by its
 * models), or `asked` again by a fork (only what the run's accounts trade, see
 * `Lineup.forAccounts`).
 */
const recordedLineup = (params: unknown, use: "asked" | "replayed") =>
  Option.match(Schema.decodeUnknownOption(DailyParams)(params), {
    onNone: () => Lineup.fromRecord([]),
    onSome: (params) => {
      const recorded = Lineup.fromRecord(params.models ?? [])
      return use === "asked" ? Lineup.forAccounts(recorded, params.accounts.map((a) => a.id)) : recorded
    }
  })

const sameLineup = (a: Lineup.Lineup, b: Lineup.Lineup) =>
  a.reviews === b.reviews && JSON.stringify(Lineup.recordedModels(a)) === JSON.stringify(Lineup.recordedModels(b))

/**
 * The council that continues `run` (stopped part-way): the lineup it started with (`current`, the council this
 * invocation's settings and accounts seat, when it is the same). A run started for other accounts or another
 * `--pms` asks what it started asking, never what today's command line would. Its params are not rewritten, so
 * every role keeps the model it recorded (a run recorded before only the traded accounts' roles were asked asks
 * them all again, or its replay would not find the answers); only the peer review follows its accounts. `what` names
 * what continues in the line saying so (a backtest continues with its first session's lineup).
 */
export const forResume = (run: RunRecord, current: Council, what = `run ${run.id}`) =>
  Effect.gen(function*() {
    const recorded = recordedLineup(run.params, "replayed")
    const started = recordedLineup(run.params, "asked").reviews === false ? { ...recorded, reviews: false as const } : recorded
    if (sameLineup(started, current.lineup)) return current
    const say = Console.error(`LLM ${what} continues with the lineup it started with: ${Lineup.describeLineup(started)}`)
    if (started.mode === "offline") return { lineup: started, layer: offline, params: paramsOf(started), announce: say } satisfies Council
    const { prices, settings } = (yield* AppSettings).llm
    const { lineup } = yield* Lineup.swap(started, [], settings, prices).pipe(usage)
    return { lineup, layer: liveLayer(lineup, settings, prices), params: paramsOf(lineup), announce: say } satisfies Council
  })

/**
 * The council seated as `lineup` that asks no model: every answer comes from recordings. `unrecorded` is told the
 * role of each question that finds no recorded answer.
 */
export const fromRecordings = (lineup: Lineup.Lineup, unrecorded?: (role: string) => void): Council => {
  const layer: CouncilLayer = lineup.mode === "offline" ? offline : Layer.unwrap(Effect.map(liveModules, ({ Seating, http }) =>
    Seating.layer(lineup, { settings: undefined, unrecorded }).pipe(
      Layer.provideMerge(LlmBudget.layerUnlimited),
      Layer.provide(http)
    )))
  return { lineup, layer, params: paramsOf(lineup), announce: Effect.void }
}

/** The council a replay needs: the run's recorded lineup, asking no model (every answer is recorded). */
export const forReplay = (bundle: RunBundle, unrecorded?: (role: string) => void): Council =>
  fromRecordings(recordedLineup(bundle.run.params, "replayed"), unrecorded)

/** Where a role's answers are made: a PM's in its pitch and review, the chairman's in the synthesis. */
const lastStageOf = (role: string) => (role === Models.CHAIRMAN ? "CouncilSynthesis" : "PeerReview")
const firstStageOf = (role: string) => (role === Models.CHAIRMAN ? "CouncilSynthesis" : "PmPitches")

/**
 * The parent's lineup as a fork from `from` asks it again (see `Lineup.forAccounts`), except the roles whose answers
 * the fork takes from stages it reuses (before `from`): those keep the models the parent recorded them under, so the
 * fork's replay finds them (a run recorded before only the traded accounts' roles were asked).
 */
const forkLineup = (params: unknown, from: string, stages: ReadonlyArray<string>): Lineup.Lineup => {
  const recorded = recordedLineup(params, "replayed")
  const asked = recordedLineup(params, "asked")
  const reused = (role: string) => stages.indexOf(firstStageOf(role)) < stages.indexOf(from)
  const places = asked.places.map((p) => (reused(p.role) ? recorded.places.find((r) => r.role === p.role) ?? p : p))
  return { ...asked, places, mode: places.some((p) => p.model !== "offline") ? "live" : "offline" }
}

/** What a fork's council is: the council, the swaps, and how the fork reuses its parent's calls. */
export interface ForkCouncil {
  readonly council: Council
  readonly swapped: ReadonlyArray<{ readonly role: string; readonly from: string; readonly to: string }>
  readonly options: { readonly reuseParentCalls?: boolean; readonly params?: Schema.Json }
}

/**
 * A fork's own params when it seats other models than its parent recorded (a run recorded before only the traded
 * accounts' roles were asked): its replay finds its answers under the models it asked.
 */
const ownParams = (bundle: RunBundle, lineup: Lineup.Lineup): ForkCouncil["options"] => {
  const recorded = (bundle.run.params as { readonly models?: unknown } | null)?.models
  const models = Lineup.recordedModels(lineup)
  return recorded === undefined || JSON.stringify(recorded) === JSON.stringify(models)
    ? {}
    : { params: { ...(bundle.run.params as object), ...paramsOf(lineup) } as Schema.Json }
}

/**
 * The council of a fork. Without `swaps`, the parent's lineup (live seats ask again), less what its accounts do
 * not trade (see `Lineup.forAccounts`). With `--model
 * ROLE=provider:model-id` swaps, the fork reuses the parent's recorded answers to unchanged questions (so only
 * the swapped role, and whoever's question changed because of it, is asked live) and records what was swapped.
 * Fails when a swap cannot change anything from `from` on. Opens nothing; whether the fork sends is the fork
 * rules' business (a swap makes it a what-if: a dry run unless `--send`).
 */
export const forFork = (bundle: RunBundle, swaps: ReadonlyArray<string>, from: string, stages: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const parent = forkLineup(bundle.run.params, from, stages)
    if (swaps.length === 0 && parent.mode === "offline") {
      return { council: { lineup: parent, layer: offline, params: paramsOf(parent), announce: Effect.void }, swapped: [], options: ownParams(bundle, parent) } satisfies ForkCouncil
    }
    const { prices, settings } = (yield* AppSettings).llm
    const { lineup, swapped } = yield* Lineup.swap(parent, swaps, settings, prices).pipe(usage)
    for (const s of swapped) {
      if (stages.indexOf(from) > stages.indexOf(lastStageOf(s.role))) {
        return yield* CliFailure.usage(`--model ${s.role}: its answers are made in ${lastStageOf(s.role)} or earlier; fork --from ${lastStageOf(s.role)} or an earlier stage`)
      }
    }
    const layer = liveLayer(lineup, settings, prices)
    if (swapped.length === 0) return { council: { lineup, layer, params: paramsOf(lineup), announce: Effect.void }, swapped, options: ownParams(bundle, lineup) } satisfies ForkCouncil
    const missing = lineup.places.flatMap((p) => (p.model !== "offline" && settings.keys[p.model.provider] === undefined ? [p.role] : []))
    const announce = Console.error(
      [
        `LLM fork: ${swapped.map((s) => `${s.role} ${s.from} → ${s.to}`).join(", ")}`,
        `  answers ${bundle.run.id} recorded to unchanged questions are reused; only changed questions are asked`,
        ...(missing.length === 0 ? [] : [`  no key for ${missing.join(", ")}: a changed question of theirs is not asked (they abstain)`])
      ].join("\n")
    )
    const council: Council = { lineup, layer, params: paramsOf(lineup), announce }
    const params = { ...(bundle.run.params as object), ...council.params, swapped } as Schema.Json
    return { council, swapped, options: { reuseParentCalls: true, params } } satisfies ForkCouncil
  })

const VERIFY_TIMEOUT = "30 seconds"

/** A verify line: the mark, the roles and the model padded to the section's widths, then what was found. */
type VerifyLine = (mark: string, roles: string, model: string, rest: string) => string

const lineOf = (roles: ReadonlyArray<string>, models: ReadonlyArray<string>): VerifyLine => {
  const rolesWidth = Math.max(14, ...roles.map((r) => r.length))
  const modelWidth = Math.max(...models.map((m) => m.length))
  return (mark, who, model, rest) => `${mark} LLM ${who.padEnd(rolesWidth)} ${model.padEnd(modelWidth)}  ${rest}`
}

/**
 * One question per configured live model (`Seating.PROBE_CHECKS` says which, on the first line): ✓/✗, roles,
 * model, latency, cost, and why a ✗. Returns how many failed. The questions are paid for like a run's calls:
 * within the budget, charged to the home's spend ledger (which this creates); the last line says what they cost.
 */
export const verifyProviders = Effect.scoped(Effect.gen(function*() {
  const { database, llm: { prices, settings } } = yield* AppSettings
  if (settings.mode === "offline") {
    const why = Object.keys(settings.keys).length > 0 ? "COUNCIL_LLM=offline" : "no provider key is set"
    yield* Console.log(`· LLM           offline: ${why} (the PMs are offline stand-ins)`)
    return 0
  }
  const models = new Map<string, { readonly roles: Array<string>; readonly spec: Models.ModelSpec }>()
  for (const role of settings.roles) {
    if (role.model === "offline") continue
    const name = Models.modelName(role.model)
    // no reasoning effort is sent (each role's is checked below); the role's output limit leaves room to think
    const entry = models.get(name) ?? { roles: [], spec: { ...role.model, reasoningEffort: null } }
    entry.roles.push(role.role)
    models.set(name, entry)
  }
  const live = settings.roles.flatMap((r) => (r.model === "offline" ? [] : [{ role: r.role, model: r.model }]))
  const line = lineOf(
    [...[...models.values()].map((m) => m.roles.join(",")), ...live.map((r) => r.role)],
    [...models.keys()]
  )
  const { Seating, http } = yield* liveModules
  yield* Console.log(`LLM check: ${Seating.PROBE_CHECKS}`)
  let failed = 0
  let spent = 0
  let estimated = false
  const budget = yield* Layer.build(Seating.budgetLayer(settings, prices).pipe(Layer.provide(Database.layerAt(database, "create"))))
  for (const [name, { roles, spec }] of models) {
    const started = yield* Clock.currentTimeMillis
    const exit = yield* Seating.probe(settings, spec, roles.join(","), VERIFY_TIMEOUT).pipe(Effect.provide(http), Effect.provide(budget), Effect.exit)
    const ms = (yield* Clock.currentTimeMillis) - started
    const who = roles.join(",")
    if (Exit.isFailure(exit)) {
      failed++
      yield* Console.log(line("✗", who, name, `${ms} ms  $0  ${Seating.probeFailure(exit.cause)}`))
      continue
    }
    const result = exit.value
    spent += result.costUsd
    estimated ||= result.estimated
    const cost = `${result.estimated ? "≈" : ""}${Prices.formatUsd(result.costUsd)}`
    if (result.failure === undefined) {
      yield* Console.log(line("✓", who, name, `${ms} ms  ${cost}`))
    } else {
      failed++
      yield* Console.log(line("✗", who, name, `${ms} ms  ${cost}  ${result.failure}`))
    }
  }
  for (const { role, model } of live) {
    const unchecked = Models.effortUnchecked(model)
    if (unchecked !== undefined) {
      yield* Console.log(line("·", role, Models.modelName(model), unchecked.replace("set it to omit", `set COUNCIL_REASONING_EFFORT_${role}=omit`)))
    }
    const refusal = Models.effortRefusal(model)
    if (refusal === undefined) continue
    failed++
    yield* Console.log(line("✗", role, Models.modelName(model), `${refusal}: set COUNCIL_REASONING_EFFORT_${role} to one of them, or to omit`))
  }
  yield* Console.log(
    `LLM check spent ${estimated ? "≈" : ""}${Prices.formatUsd(spent)} (charged to the spend ledger as verify${estimated ? "; ≈ an unanswered request charged its worst case" : ""})`
  )
  return failed
}))

/** Runs the accounts' check, then the providers', and fails if either found a problem. */
export const verifyAll = <E, R>(accounts: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const accountsExit = yield* Effect.exit(accounts)
    const failed = yield* verifyProviders
    if (Exit.isFailure(accountsExit)) return yield* accountsExit
    if (failed > 0) return yield* CliFailure.failed(`${counted(failed, "LLM provider")} failed the check`)
  })
