/**
 * The commands: their arguments, flags and help. A command's implementation (and the layers it needs) is loaded
 * only when that command runs, so `--help` and light commands never load the trading stack.
 */
// deep imports: the `effect` and `effect/cli` indexes would load every module of the library for `--help`
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { RunId } from "@council/domain"
import { DAILY_PIPELINE, DAILY_STAGE_NAMES } from "@council/daily/StageNames"
import { codeVersion } from "./Version.ts"

/** Loads a module when the command runs, then runs `f` with it. */
const using = <M, A, E, R>(load: () => Promise<M>, f: (module: M) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.promise(load), f)

const AppLayer = () => import("./AppLayer.ts")
const Storage = () => import("./Storage.ts")
const CliFailure = () => import("./CliFailure.ts")
const Accounts = () => import("./commands/Accounts.ts")
const Exchange = () => import("./commands/Exchange.ts")
const Replay = () => import("./commands/Replay.ts")
const RunDaily = () => import("./commands/RunDaily.ts")
const Runs = () => import("./commands/Runs.ts")

const pipelineName = Argument.String("pipeline").pipe(Argument.withDescription("the pipeline to run: daily"))
const accountFlag = Flag.String("account").pipe(Flag.withDescription("only this account"), Flag.optional)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("print machine-readable JSON"), Flag.withDefault(false))

/** Runs a command over the accounts as they are (outside a run). */
const inspecting = <M, A, E, R>(load: () => Promise<M>, f: (module: M) => Effect.Effect<A, E, R>) =>
  using(AppLayer, (layers) => using(load, f).pipe(Effect.provide(layers.inspecting), Effect.provide(layers.setup)))

/** Runs a command over the run store alone. */
const stored = <A, E, R>(f: (runs: Awaited<ReturnType<typeof Runs>>) => Effect.Effect<A, E, R>) =>
  using(Storage, ({ storage }) => using(Runs, f).pipe(Effect.provide(storage)))

const ensureDaily = (name: string) =>
  name === DAILY_PIPELINE
    ? Effect.void
    : using(CliFailure, ({ CliFailure }) => Effect.fail(CliFailure.usage(`unknown pipeline "${name}"; available: ${DAILY_PIPELINE}`)))

const run = Command.make(
  "run",
  {
    pipeline: pipelineName,
    date: Flag.String("date").pipe(Flag.withDescription("trading day YYYY-MM-DD (default: the latest session in the data)"), Flag.optional),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("decide everything, send no orders"), Flag.withDefault(false)),
    accounts: Flag.String("accounts").pipe(Flag.withDescription("comma-separated accounts to trade (default: all)"), Flag.optional),
    json: jsonFlag
  },
  (options) =>
    using(AppLayer, (AppLayer) =>
      using(RunDaily, ({ resolveTradingDay, runDaily, selectedProfiles }) =>
        Effect.gen(function*() {
          yield* ensureDaily(options.pipeline)
          const day = yield* resolveTradingDay(options.date)
          const accounts = yield* selectedProfiles(options.accounts)
          const params = { accounts, ...(yield* AppLayer.describe) }
          yield* runDaily(options, day, params).pipe(Effect.provide(AppLayer.trading(day)))
        }).pipe(Effect.provide(AppLayer.setup))))
).pipe(
  Command.withDescription("Run a trading day: fetch data → PM pitches → council synthesis → risk approval → execution"),
  Command.withExamples([
    { command: "pnpm pipeline run daily", description: "the latest trading day in the data, every account" },
    { command: "pnpm pipeline run daily --date 2026-06-05 --dry-run --accounts COUNCIL,CLAUDE", description: "a past day, two accounts, nothing sent" }
  ])
)

const replay = Command.make(
  "replay",
  {
    source: Argument.String("run-id | bundle.json").pipe(Argument.withDescription("a run id, or a bundle written by export")),
    from: Flag.String("from").pipe(Flag.withDescription(`fork a new run from this stage (${DAILY_STAGE_NAMES.join(", ")})`), Flag.optional),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("with --from: send no orders"), Flag.withDefault(false))
  },
  ({ source, from, dryRun }) =>
    Effect.all([Effect.promise(AppLayer), Effect.promise(Replay), Effect.promise(CliFailure), Effect.promise(() => import("@council/engine"))]).pipe(
      Effect.flatMap(([AppLayer, Replay, { CliFailure }, { RunStore }]) =>
        Effect.gen(function*() {
          if (Option.isNone(from)) {
            if (dryRun) return yield* CliFailure.usage("--dry-run only applies with --from (a plain replay never sends anything)")
            const bundle = yield* Replay.resolveSource(source)
            // a replay answers every external call from recordings: the run's services are there for the types only
            return yield* Replay.replayRun(bundle).pipe(Effect.provide(AppLayer.trading(bundle.run.tradingDay)))
          }
          const bundle = yield* Replay.resolveSource(source)
          const existing = yield* RunStore.use((s) => s.getRun(bundle.run.id))
          if (Option.isNone(existing)) yield* RunStore.use((s) => s.importBundle(bundle))
          const result = yield* Replay.forkRun(bundle.run.id as RunId, from.value, dryRun).pipe(
            Effect.provide(AppLayer.trading(bundle.run.tradingDay))
          )
          yield* Console.log(`forked run ${result.run.id} from ${bundle.run.id} at ${from.value}`)
        }).pipe(Effect.provide(AppLayer.setup)))
    )
).pipe(Command.withDescription("Re-execute a run from its recordings (zero live calls) and compare every stage; --from forks a new run"))

const runs = Command.make(
  "runs",
  { limit: Flag.Int("limit").pipe(Flag.withDescription("how many runs, newest first"), Flag.withDefault(20)) },
  ({ limit }) => stored((Runs) => Runs.listRuns(limit))
).pipe(Command.withDescription("List runs, newest first"))

const show = Command.make(
  "show",
  { runId: Argument.String("run-id"), json: jsonFlag },
  ({ json, runId }) => stored((Runs) => Runs.showRun(runId, json))
).pipe(Command.withDescription("Show a run: its record and each stage's checkpoint"))

const exportCommand = Command.make(
  "export",
  {
    runId: Argument.String("run-id"),
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("write to this file (default: stdout)"), Flag.optional)
  },
  ({ output, runId }) => stored((Runs) => Runs.exportRun(runId, output))
).pipe(Command.withDescription("Write a self-contained bundle of a run: record, checkpoints, recordings, config without secrets"))

const importCommand = Command.make(
  "import",
  { bundle: Argument.String("bundle.json") },
  ({ bundle }) => stored((Runs) => Runs.importRun(bundle))
).pipe(Command.withDescription("Import a run bundle written by export"))

const accounts = Command.make("accounts", {}, () => inspecting(Accounts, (Accounts) => Accounts.accounts)).pipe(
  Command.withDescription("Every account's equity, cash and buying power")
)

const positions = Command.make(
  "positions",
  { account: accountFlag },
  ({ account }) => inspecting(Accounts, (Accounts) => Accounts.positions(account))
).pipe(Command.withDescription("Open positions per account"))

const orders = Command.make(
  "orders",
  {
    account: accountFlag,
    status: Flag.Literals("status", ["open", "closed", "all"]).pipe(Flag.withDescription("which orders"), Flag.withDefault("open" as const))
  },
  ({ account, status }) => inspecting(Accounts, (Accounts) => Accounts.orders(account, status))
).pipe(Command.withDescription("Orders per account (with bracket legs)"))

const closeAll = Command.make(
  "close-all",
  {
    account: accountFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel all orders and liquidate all positions"), Flag.withDefault(false))
  },
  ({ account, yes }) => inspecting(Accounts, (Accounts) => Accounts.closeAll(account, yes))
).pipe(Command.withDescription("The panic button: cancel every open order and close every position"))

const verify = Command.make("verify", {}, () => inspecting(Accounts, (Accounts) => Accounts.verify)).pipe(
  Command.withDescription("Check every account's credentials against its broker: ✓ or ✗ per account")
)

const graph = Command.make("graph", {}, () =>
  Effect.flatMap(
    Effect.promise(() => Promise.all([import("@council/engine"), import("@council/daily")])),
    ([{ Pipeline }, { DailyPipeline }]) => Console.log(Pipeline.toMermaid(DailyPipeline))
  )).pipe(
  Command.withDescription("Print the daily pipeline as a Mermaid flowchart")
)

const exchangeServe = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port, default 8787 (0: any free port)"), Flag.withDefault(8787)),
    host: Flag.String("host").pipe(Flag.withDescription("interface to listen on, default 127.0.0.1"), Flag.withDefault("127.0.0.1")),
    date: Flag.String("date").pipe(Flag.withDescription("session to trade YYYY-MM-DD (default: the latest session in the data)"), Flag.optional),
    latencyMs: Flag.Int("latency-ms").pipe(Flag.withDescription("added to every request"), Flag.withDefault(0)),
    faultRate: Flag.Finite("fault-rate").pipe(Flag.withDescription("probability in [0, 1] that a request gets a fault"), Flag.withDefault(0)),
    faultKinds: Flag.String("fault-kinds").pipe(Flag.withDescription("comma-separated 429,500,503,drop (default: all)"), Flag.optional),
    rateLimit: Flag.Int("rate-limit").pipe(Flag.withDescription("requests per API key per window, default 200"), Flag.withDefault(200)),
    rateWindow: Flag.Int("rate-window").pipe(Flag.withDescription("the rate limit's window in seconds, default 60"), Flag.withDefault(60)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed of the fault injection (reproducible faults)"), Flag.optional)
  },
  (options) => using(AppLayer, ({ setup }) => using(Exchange, (Exchange) => Exchange.serve(options)).pipe(Effect.provide(setup)))
).pipe(Command.withDescription("Serve the local exchange as an Alpaca-compatible HTTP API until Ctrl-C"))

const exchangeKeys = Command.make("keys", { json: jsonFlag }, ({ json }) => inspecting(Exchange, (Exchange) => Exchange.keys(json))).pipe(
  Command.withDescription("The API key pairs of the configured accounts on the local exchange (created if missing)")
)

const exchange = Command.make("exchange").pipe(
  Command.withDescription("The local paper exchange over HTTP (Alpaca's API): serve, keys"),
  Command.withSubcommands([exchangeServe, exchangeKeys])
)

export const root = Command.make("pipeline").pipe(
  Command.withDescription("Council: an LLM trading council, one trading day at a time"),
  Command.withSubcommands([run, replay, runs, show, exportCommand, importCommand, accounts, positions, orders, closeAll, verify, graph, exchange])
)

export const main = Command.runWith(root, { version: codeVersion })

