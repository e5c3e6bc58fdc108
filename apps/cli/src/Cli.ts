import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { RunId } from "@council/domain"
import { Pipeline, RunStore } from "@council/engine"
import { DailyPipeline } from "@council/daily"
import { codeVersion } from "./AppConfig.ts"
import * as AppLayer from "./AppLayer.ts"
import { CliFailure } from "./CliFailure.ts"
import * as Accounts from "./commands/Accounts.ts"
import * as Exchange from "./commands/Exchange.ts"
import * as Replay from "./commands/Replay.ts"
import { resolveTradingDay, runDaily, selectedProfiles } from "./commands/RunDaily.ts"
import * as Runs from "./commands/Runs.ts"

const pipelineName = Argument.String("pipeline").pipe(Argument.withDescription("the pipeline to run: daily"))
const accountFlag = Flag.String("account").pipe(Flag.withDescription("only this account"), Flag.optional)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("print machine-readable JSON"), Flag.withDefault(false))

const inspecting = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(AppLayer.inspecting), Effect.provide(AppLayer.setup))

const ensureDaily = (name: string) =>
  name === DailyPipeline.name ? Effect.void : Effect.fail(CliFailure.usage(`unknown pipeline "${name}"; available: ${DailyPipeline.name}`))

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
    Effect.gen(function*() {
      yield* ensureDaily(options.pipeline)
      const day = yield* resolveTradingDay(options.date)
      const accounts = yield* selectedProfiles(options.accounts)
      const params = { accounts, ...(yield* AppLayer.describe) }
      yield* runDaily(options, day, params).pipe(Effect.provide(AppLayer.trading(day)))
    }).pipe(Effect.provide(AppLayer.setup))
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
    from: Flag.String("from").pipe(Flag.withDescription(`fork a new run from this stage (${DailyPipeline.stageNames.join(", ")})`), Flag.optional),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("with --from: send no orders"), Flag.withDefault(false))
  },
  ({ source, from, dryRun }) =>
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
    }).pipe(Effect.provide(AppLayer.setup))
).pipe(Command.withDescription("Re-execute a run from its recordings (zero live calls) and compare every stage; --from forks a new run"))

const runs = Command.make(
  "runs",
  { limit: Flag.Int("limit").pipe(Flag.withDescription("how many runs, newest first"), Flag.withDefault(20)) },
  ({ limit }) => Runs.listRuns(limit).pipe(Effect.provide(AppLayer.storage))
).pipe(Command.withDescription("List runs, newest first"))

const show = Command.make(
  "show",
  { runId: Argument.String("run-id"), json: jsonFlag },
  ({ json, runId }) => Runs.showRun(runId, json).pipe(Effect.provide(AppLayer.storage))
).pipe(Command.withDescription("Show a run: its record and each stage's checkpoint"))

const exportCommand = Command.make(
  "export",
  {
    runId: Argument.String("run-id"),
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("write to this file (default: stdout)"), Flag.optional)
  },
  ({ output, runId }) => Runs.exportRun(runId, output).pipe(Effect.provide(AppLayer.storage))
).pipe(Command.withDescription("Write a self-contained bundle of a run: record, checkpoints, recordings, config without secrets"))

const importCommand = Command.make(
  "import",
  { bundle: Argument.String("bundle.json") },
  ({ bundle }) => Runs.importRun(bundle).pipe(Effect.provide(AppLayer.storage))
).pipe(Command.withDescription("Import a run bundle written by export"))

const accounts = Command.make("accounts", {}, () => inspecting(Accounts.accounts)).pipe(
  Command.withDescription("Every account's equity, cash and buying power")
)

const positions = Command.make(
  "positions",
  { account: accountFlag },
  ({ account }) => inspecting(Accounts.positions(account))
).pipe(Command.withDescription("Open positions per account"))

const orders = Command.make(
  "orders",
  {
    account: accountFlag,
    status: Flag.Literals("status", ["open", "closed", "all"]).pipe(Flag.withDescription("which orders"), Flag.withDefault("open" as const))
  },
  ({ account, status }) => inspecting(Accounts.orders(account, status))
).pipe(Command.withDescription("Orders per account (with bracket legs)"))

const closeAll = Command.make(
  "close-all",
  {
    account: accountFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel all orders and liquidate all positions"), Flag.withDefault(false))
  },
  ({ account, yes }) => inspecting(Accounts.closeAll(account, yes))
).pipe(Command.withDescription("The panic button: cancel every open order and close every position"))

const verify = Command.make("verify", {}, () => inspecting(Accounts.verify)).pipe(
  Command.withDescription("Check every account's credentials against its broker: ✓ or ✗ per account")
)

const graph = Command.make("graph", {}, () => Console.log(Pipeline.toMermaid(DailyPipeline))).pipe(
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
  (options) => Exchange.serve(options).pipe(Effect.provide(AppLayer.setup))
).pipe(Command.withDescription("Serve the local exchange as an Alpaca-compatible HTTP API until Ctrl-C"))

const exchangeKeys = Command.make("keys", { json: jsonFlag }, ({ json }) => inspecting(Exchange.keys(json))).pipe(
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

