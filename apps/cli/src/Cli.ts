import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { Pipeline } from "@council/engine"
import { DailyPipeline } from "@council/daily"
import { codeVersion } from "./AppConfig.ts"
import * as AppLayer from "./AppLayer.ts"
import { CliFailure } from "./CliFailure.ts"
import * as Accounts from "./commands/Accounts.ts"
import * as Exchange from "./commands/Exchange.ts"
import * as Llm from "./commands/Llm.ts"
import { monitorCommands } from "./commands/MonitorCommands.ts"
import * as Replay from "./commands/Replay.ts"
import { resolveTradingDay, runDaily, selectedProfiles } from "./commands/RunDaily.ts"
import * as Runs from "./commands/Runs.ts"

const pipelineName = Argument.String("pipeline").pipe(Argument.withDescription("the pipeline to run: daily"))
const runIdArgument = Argument.String("run-id").pipe(Argument.withDescription("a run id, as listed by: pnpm pipeline runs"))
const accountFlag = Flag.String("account").pipe(Flag.withDescription("only this account (default: every configured account)"), Flag.optional)
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("print machine-readable JSON on stdout (logs stay on stderr)"), Flag.withDefault(false))

/** Each command's exit codes, as its help says them. */
const exits = {
  run: "Exit codes: 0 every account succeeded; 1 an account failed or could not be evaluated (run the day again to retry it: nothing is placed twice); 2 usage or configuration error, nothing done.",
  replay: "Exit codes: 0 every stage identical (a fork: every account succeeded); 1 a stage diverged (a fork: an account failed); 2 usage or configuration error, nothing done.",
  store: "Exit codes: 0 done; 1 failed; 2 usage or configuration error, nothing written.",
  accounts: "Exit codes: 0 every account answered; 1 an account failed; 2 usage or configuration error, nothing done.",
  serve: "Exit codes: 0 stopped by SIGINT/SIGTERM (or when the pnpm that launched it exits); 2 usage or configuration error, nothing done.",
  plain: "Exit codes: 0 done; 2 usage or configuration error."
} as const

const describe = (text: string, exit: string) => Command.withDescription(`${text}\n  ${exit}`)

/** Every command checks the whole configuration first (one line naming the variable, exit 2, nothing written). */
const configured = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, AppLayer.configured)

/** `configured`, with the market data loaded (commands that trade, replay or inspect accounts). */
const withMarket = <A, E, R>(effect: Effect.Effect<A, E, R>) => configured(Effect.provide(effect, AppLayer.market))

const ensureDaily = (name: string) =>
  name === DailyPipeline.name ? Effect.void : Effect.fail(CliFailure.usage(`unknown pipeline "${name}"; available: ${DailyPipeline.name}`))

const run = Command.make(
  "run",
  {
    pipeline: pipelineName,
    date: Flag.String("date").pipe(Flag.withDescription("trading day YYYY-MM-DD (default: the latest session in the data)"), Flag.optional),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("decide everything, send no orders (default: off)"), Flag.withDefault(false)),
    accounts: Flag.String("accounts").pipe(Flag.withDescription("comma-separated accounts to trade (default: all)"), Flag.optional),
    pms: Flag.String("pms").pipe(
      Flag.withDescription("live mode: comma-separated PMs that ask their LLM, the others keep their offline stand-in (default: every PM)"),
      Flag.optional
    ),
    json: jsonFlag
  },
  (options) =>
    withMarket(Effect.gen(function*() {
      yield* ensureDaily(options.pipeline)
      const council = yield* Llm.forRun(options.pms)
      const day = yield* resolveTradingDay(options.date)
      const accounts = yield* selectedProfiles(options.accounts)
      const params = { accounts, ...(yield* AppLayer.describe), ...council.params }
      yield* runDaily(options, day, params, council)
    }))
).pipe(
  describe("Run a trading day: fetch data → PM pitches → peer review → council synthesis → risk approval → execution", exits.run),
  Command.withExamples([
    { command: "pnpm pipeline run daily", description: "the latest trading day in the data, every account" },
    { command: "pnpm pipeline run daily --dry-run --accounts COUNCIL,CLAUDE", description: "decide the latest day for two accounts, send nothing" }
  ])
)

const replay = Command.make(
  "replay",
  {
    source: Argument.String("run").pipe(Argument.withDescription("a run id, or a bundle file written by export")),
    from: Flag.String("from").pipe(
      Flag.withDescription(`fork a new run from this stage (${DailyPipeline.stageNames.join(", ")}); a fork sends orders unless --dry-run is given, the parent was a dry run or --model swaps a model`),
      Flag.optional
    ),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("with --from: send no orders (default: off)"), Flag.withDefault(false)),
    send: Flag.Boolean("send").pipe(
      Flag.withDescription("with --from: send the orders even when the parent was a dry run or --model swaps a model (default: off)"),
      Flag.withDefault(false)
    ),
    model: Flag.String("model").pipe(
      Flag.withDescription("with --from: ask ROLE another model, e.g. CLAUDE=anthropic:claude-opus-4-7 (repeatable); only changed questions go live; a what-if: a dry run unless --send"),
      Flag.atLeast(0)
    )
  },
  ({ dryRun, from, model, send, source }) =>
    withMarket(Effect.gen(function*() {
      if (Option.isSome(from)) return yield* Replay.forkRun(source, { from: from.value, dryRun, send, models: model })
      if (dryRun || send) return yield* CliFailure.usage("--dry-run and --send only apply with --from (a plain replay never sends anything)")
      if (model.length > 0) return yield* CliFailure.usage("--model only applies with --from (a plain replay asks no model)")
      const bundle = yield* Replay.resolveSource(source)
      // a replay answers every external call from recordings: the run's services are there for the types only
      return yield* Replay.replayRun(bundle).pipe(
        Effect.provide(AppLayer.tradingWith(bundle.run.tradingDay, "empty", Llm.forReplay(bundle).layer))
      )
    }))
).pipe(describe(
  "Re-execute a run from its recordings (zero live calls) and compare every stage; --from forks a new run that obeys every rule of run daily (the session, exit codes) and sends orders unless --dry-run, its parent was a dry run or --model swaps a model (then only with --send)",
  exits.replay
))

const runs = Command.make(
  "runs",
  { limit: Flag.Int("limit").pipe(Flag.withDescription("how many runs, newest first (default: 20)"), Flag.withDefault(20)) },
  ({ limit }) => configured(Runs.listRuns(limit).pipe(Effect.provide(AppLayer.storage("empty"))))
).pipe(describe("List runs, newest first (imported runs are marked)", exits.store))

const show = Command.make(
  "show",
  {
    runId: runIdArgument,
    json: jsonFlag,
    full: Flag.Boolean("full").pipe(Flag.withDescription("with --json: the whole bundle, every checkpoint and recorded call (default: a summary)"), Flag.withDefault(false)),
    llm: Flag.Boolean("llm").pipe(
      Flag.withDescription("every LLM exchange: messages, raw answer, parsed value or validation error, attempts, usage, cost (default: off)"),
      Flag.withDefault(false)
    ),
    pm: Flag.String("pm").pipe(Flag.withDescription("with --llm: only this PM (or CHAIRMAN) (default: every role)"), Flag.optional)
  },
  ({ full, json, llm, pm, runId }) =>
    configured(
      (llm
        ? Effect.flatMap(Llm.exchangeFilter(pm, full), (who) => Effect.flatMap(Runs.loadBundle(runId), (bundle) => Llm.showExchanges(bundle, who, json)))
        : Runs.showRun(runId, json, full, pm)).pipe(
        Effect.provide(AppLayer.storage("empty"))
      )
    )
).pipe(describe("Show a run: its record, a summary of each stage's checkpoint and its LLM costs; --llm: its LLM exchanges", exits.store))

const exportCommand = Command.make(
  "export",
  {
    runId: runIdArgument,
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("write to this file (default: stdout)"), Flag.optional)
  },
  ({ output, runId }) => configured(Runs.exportRun(runId, output).pipe(Effect.provide(AppLayer.storage("empty"))))
).pipe(describe(
  "Write a self-contained bundle of a run: record, checkpoints, recordings, config without secrets, and their hashes",
  exits.store
))

const importCommand = Command.make(
  "import",
  { bundle: Argument.String("bundle.json").pipe(Argument.withDescription("a bundle file written by export (checked against its hashes)")) },
  ({ bundle: file }) =>
    configured(Effect.gen(function*() {
      const bundle = yield* Runs.readBundle(file)
      yield* Runs.checkImport(bundle, file).pipe(Effect.provide(AppLayer.storage("empty")))
      yield* Runs.writeImport(bundle, file).pipe(Effect.provide(AppLayer.storage("create")))
      yield* Console.log(Runs.importedMessage(bundle))
    }))
).pipe(describe(
  "Import a run bundle written by export, to inspect and replay it (an imported run never counts as this home's run of its day)",
  exits.store
))

/** Checks `--account` first, then opens the brokers (and the store, when an account lives on the local exchange). */
const inspecting = <A, E, R>(account: Option.Option<string>, f: (ids: Effect.Success<ReturnType<typeof Accounts.accountsFor>>) => Effect.Effect<A, E, R>) =>
  withMarket(Effect.flatMap(Accounts.accountsFor(account), (ids) => f(ids).pipe(Effect.provide(AppLayer.inspecting()))))

const accounts = Command.make("accounts", {}, () => inspecting(Option.none(), () => Accounts.accounts)).pipe(
  describe("Every account's equity, cash and buying power", exits.accounts)
)

const positions = Command.make(
  "positions",
  { account: accountFlag },
  ({ account }) => inspecting(account, Accounts.positions)
).pipe(describe("Open positions per account", exits.accounts))

const orders = Command.make(
  "orders",
  {
    account: accountFlag,
    status: Flag.Literals("status", ["open", "closed", "all"]).pipe(Flag.withDescription("which orders (default: open)"), Flag.withDefault("open" as const))
  },
  ({ account, status }) => inspecting(account, (ids) => Accounts.orders(ids, status))
).pipe(describe("Orders per account (with bracket legs)", exits.accounts))

const closeAll = Command.make(
  "close-all",
  {
    account: accountFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel all orders and liquidate all positions (required)"), Flag.withDefault(false))
  },
  ({ account, yes }) => Effect.andThen(Accounts.confirmCloseAll(account, yes), inspecting(account, Accounts.closeAll))
).pipe(describe("The panic button: cancel every open order and close every position", exits.accounts))

const verify = Command.make("verify", {}, () => inspecting(Option.none(), () => Llm.verifyAll(Accounts.verify))).pipe(
  describe("Check every account's credentials against its broker and each configured LLM provider: ✓ or ✗ per account and model", exits.accounts)
)

const graph = Command.make("graph", {}, () => Console.log(Pipeline.toMermaid(DailyPipeline))).pipe(
  describe("Print the daily pipeline as a Mermaid flowchart", exits.plain)
)

const exchangeServe = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port (default: 8787; 0: any free port)"), Flag.withDefault(8787)),
    host: Flag.String("host").pipe(Flag.withDescription("interface to listen on (default: 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    date: Flag.String("date").pipe(Flag.withDescription("session to trade YYYY-MM-DD (default: the latest session in the data)"), Flag.optional),
    latencyMs: Flag.Int("latency-ms").pipe(Flag.withDescription("milliseconds added to every request (default: 0)"), Flag.withDefault(0)),
    faultRate: Flag.Finite("fault-rate").pipe(Flag.withDescription("probability in [0, 1] that a request gets a fault (default: 0)"), Flag.withDefault(0)),
    faultKinds: Flag.String("fault-kinds").pipe(Flag.withDescription("comma-separated 429,500,503,drop (default: all)"), Flag.optional),
    rateLimit: Flag.Int("rate-limit").pipe(Flag.withDescription("requests per API key per minute (default: 200)"), Flag.withDefault(200)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed of the fault injection, for reproducible faults (default: random)"), Flag.optional)
  },
  (options) => withMarket(Exchange.serve(options))
).pipe(describe("Serve the local exchange as an Alpaca-compatible HTTP API until Ctrl-C or SIGTERM", exits.serve))

const exchangeKeys = Command.make("keys", { json: jsonFlag }, ({ json }) =>
  withMarket(Exchange.keys(json).pipe(Effect.provide(AppLayer.inspecting("create"))))).pipe(
    describe("The API key pairs of the configured accounts on the local exchange (created if missing)", exits.store)
  )

const exchange = Command.make("exchange").pipe(
  describe("The local paper exchange over HTTP (Alpaca's API): serve, keys", exits.plain),
  Command.withSubcommands([exchangeServe, exchangeKeys])
)

export const root = Command.make("pipeline").pipe(
  describe(
    "Council: an LLM trading council, one trading day at a time",
    "Exit codes: 0 success; 1 the work failed (an account, a replay); 2 usage or configuration error (nothing done, nothing written)."
  ),
  Command.withSubcommands([run, replay, runs, show, exportCommand, importCommand, accounts, positions, orders, closeAll, verify, ...monitorCommands, graph, exchange])
)

export const main = Command.runWith(root, { version: codeVersion })
