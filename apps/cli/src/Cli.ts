/**
 * The commands: their arguments, flags and help. A command's implementation (and the layers it needs) is loaded
 * only when that command runs, so `--help` and light commands never load the trading stack. Every command still
 * checks the whole configuration first (`Storage.configured`: one line naming the variable, exit 2, nothing
 * written).
 */
// deep imports: the `effect` and `effect/cli` indexes would load every module of the library for `--help`
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Ticker } from "@council/domain"
import { DAILY_PIPELINE, DAILY_STAGE_NAMES } from "@council/daily/StageNames"
import { describe, using } from "./CommandDefinition.ts"
import { monitorCommands } from "./commands/MonitorCommands.ts"
import { codeVersion } from "./Version.ts"


const AppLayer = () => import("./AppLayer.ts")
const Storage = () => import("./Storage.ts")
const RunSource = () => import("./RunSource.ts")
const CliFailure = () => import("./CliFailure.ts")
const Accounts = () => import("./commands/Accounts.ts")
const Exchange = () => import("./commands/Exchange.ts")
const Llm = () => import("./commands/Llm.ts")
const LlmRecord = () => import("./commands/LlmRecord.ts")
const Manual = () => import("./commands/Manual.ts")
const Cancel = () => import("./commands/Cancel.ts")
const Replay = () => import("./commands/Replay.ts")
const RunDaily = () => import("./commands/RunDaily.ts")
const Runs = () => import("./commands/Runs.ts")
const Backtest = () => import("./commands/Backtest.ts")
const ReconcileCommand = () => import("./commands/Reconcile.ts")
const Timing = () => import("./commands/Timing.ts")
const Approve = () => import("./commands/Approve.ts")

const pipelineName = Argument.String("pipeline").pipe(Argument.withDescription("the pipeline to run: daily"))
const runIdArgument = Argument.String("run-id").pipe(Argument.withDescription("a run id, as listed by: pnpm pipeline runs"))
/** A run to read: an id, or `latest` (the newest of its store, the first `runs` lists). */
const runToRead = Argument.String("run-id").pipe(Argument.withDescription("a run id, as listed by: pnpm pipeline runs, or latest (the newest run)"))
const accountFlag = Flag.String("account").pipe(Flag.withDescription("only this account (default: every configured account)"), Flag.optional)
/** `--backtest` of the commands that read runs (`RunSource`). */
const backtestFlag = (what: string, also = "") =>
  Flag.String("backtest").pipe(
    Flag.withDescription(`${what} this backtest's own database (its sessions${also}): its id, or latest (the newest); live (the default) for the home's runs`),
    Flag.optional
  )
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("print machine-readable JSON on stdout (logs stay on stderr)"), Flag.withDefault(false))

/** Each command's exit codes, as its help says them. */
const exits = {
  run: "Exit codes: 0 every account succeeded (or the market is closed that day, or the run awaits approval); 1 an account failed or could not be evaluated (run the day again to retry it: nothing is placed twice), or the schedule's cutoff passed (nothing sent), or a broker, the market data or the store failed (a full disk among them); 2 usage or configuration error, or the day's run is held by another process, nothing done (a store that cannot be opened or market data without a trading day is told to Slack too); 130 interrupted by Ctrl-C or SIGTERM (run the day again to continue it).",
  approve: "Exit codes: 0 sent and every account succeeded, or rejected (nothing sent); 1 an account failed (run the day again to retry it: nothing is placed twice), or the schedule's cutoff passed (nothing sent; the run still awaits a decision); 2 usage or configuration error (no such run, or one not awaiting approval), or the day's run is held by another process, nothing done; 130 interrupted by Ctrl-C or SIGTERM (run the day again to continue it).",
  replay: "Exit codes: 0 every stage identical (of a run that stopped, every stage it ran; a fork: every account succeeded); 1 a stage diverged or the run is damaged (a fork: an account failed); 2 usage or configuration error, nothing done.",
  store: "Exit codes: 0 done; 1 failed; 2 usage or configuration error, nothing written.",
  accounts: "Exit codes: 0 every account answered; 1 an account failed; 2 usage or configuration error, nothing done.",
  verify: "Exit codes: 0 every account answered and every configured LLM model gave a valid structured answer; 1 an account or a model failed; 2 usage or configuration error, nothing done.",
  backtest: "Exit codes: 0 every session ran (or had run); 1 a session's run failed (continue it with --resume); 2 usage or configuration error, nothing written; 130 interrupted by Ctrl-C or SIGTERM, marked interrupted (continue it with --resume).",
  order: "Exit codes: 0 placed (or already at the broker from an earlier identical command today); 1 the safety broker or the broker refused it; 2 usage or configuration error, nothing sent.",
  serve: "Exit codes: 0 stopped by SIGINT/SIGTERM (or when the pnpm that launched it exits); 2 usage or configuration error, nothing done.",
  plain: "Exit codes: 0 done; 2 usage or configuration error."
} as const


/** Every command checks the whole configuration first (one line naming the variable, exit 2, nothing written). */
const configured = <A, E, R>(effect: Effect.Effect<A, E, R>) => using(Storage, (Storage) => Effect.provide(effect, Storage.configured))

/** `configured`, with the composition root and the market data loaded (commands that trade, replay or inspect accounts). */
const withMarket = <A, E, R>(f: (layers: Awaited<ReturnType<typeof AppLayer>>) => Effect.Effect<A, E, R>) =>
  using(AppLayer, (AppLayer) => configured(Effect.provide(f(AppLayer), AppLayer.market)))

/**
 * `withMarket` for a trading command (`run daily`, `approve`): its failure, a failure to load its market data and a
 * signal before its run starts are told to the notifier as `Failed: <what>` (`RunDaily.toldTrading`), naming the
 * command's accounts that trade real money (`live`).
 */
const trading = <A, E, R, EL, RL>(
  what: string,
  live: (layers: Awaited<ReturnType<typeof AppLayer>>) => Effect.Effect<ReadonlyArray<string>, EL, RL>,
  f: (layers: Awaited<ReturnType<typeof AppLayer>>) => Effect.Effect<A, E, R>
) =>
  using(AppLayer, (AppLayer) =>
    configured(using(RunDaily, (RunDaily) => RunDaily.toldTrading(what, AppLayer.market, f(AppLayer), live(AppLayer)))))

/**
 * A command over a run store alone: the settings, then the store `--backtest` names (`RunSource`: the home's without
 * it, a missing home read as empty; a backtest's own database, never created).
 */
const stored = <A, E, R>(backtest: Option.Option<string>, f: (runs: Awaited<ReturnType<typeof Runs>>) => Effect.Effect<A, E, R>) =>
  configured(using(RunSource, (RunSource) => using(Runs, f).pipe(Effect.provide(RunSource.layer(backtest)))))

const ensureDaily = (name: string) =>
  name === DAILY_PIPELINE
    ? Effect.void
    : using(CliFailure, ({ CliFailure }) => Effect.fail(CliFailure.usage(`unknown pipeline "${name}"; available: ${DAILY_PIPELINE}`)))

const run = Command.make(
  "run",
  {
    pipeline: pipelineName,
    date: Flag.String("date").pipe(Flag.withDescription("trading day YYYY-MM-DD (default: the latest session in the data)"), Flag.optional),
    at: Flag.String("at").pipe(
      Flag.withDescription("local exchange only: the run's moment, HH:MM New York time on its day (default: the schedule's, 15:45 for close, 16:15 for after-close, 12:45 and 13:15 on a 13:00 early close; refused for accounts on Alpaca, whose clock is real)"),
      Flag.optional
    ),
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("decide everything, send no orders (default: off)"), Flag.withDefault(false)),
    requireApproval: Flag.Boolean("require-approval").pipe(
      Flag.withDescription("stop after the risk gate, print what would be sent, and wait for: pnpm pipeline approve <run-id> [--reject] (default: off)"),
      Flag.withDefault(false)
    ),
    earlyCloseOnly: Flag.Boolean("early-close-only").pipe(
      Flag.withDescription("trade only a session that closes early (13:00); on any other day say so and exit 0 — the 12:45 cron entry beside the 15:45 one (default: off)"),
      Flag.withDefault(false)
    ),
    accounts: Flag.String("accounts").pipe(Flag.withDescription("comma-separated accounts to trade (default: all)"), Flag.optional),
    pms: Flag.String("pms").pipe(
      Flag.withDescription("live mode: comma-separated PMs that ask their LLM, the others keep their offline stand-in (default: every PM)"),
      Flag.optional
    ),
    json: jsonFlag
  },
  (options) =>
    trading(`run daily${Option.match(options.date, { onNone: () => "", onSome: (d) => ` --date ${d}` })}`, () => using(RunDaily, (RunDaily) => RunDaily.liveSelected(options.accounts)), (AppLayer) =>
      Effect.all([Effect.promise(RunDaily), Effect.promise(Llm), Effect.promise(Timing)]).pipe(Effect.flatMap(([RunDaily, Llm, Timing]) =>
        RunDaily.stopWithLauncher(Effect.gen(function*() {
          yield* ensureDaily(options.pipeline)
          const accounts = yield* RunDaily.selectedProfiles(options.accounts)
          const council = yield* Llm.forRun(options.pms, accounts.map((a) => a.id))
          const readClock = (ids: Parameters<typeof Timing.clockOf>[0]) => Effect.provide(Timing.clockOf(ids), AppLayer.probing)
          const at = yield* Timing.resolveRunMoment(options, accounts.map((a) => a.id), readClock)
          const params = RunDaily.newRunParams(accounts, yield* AppLayer.describe, council.params, at, options.requireApproval, yield* RunDaily.keysFrom)
          yield* RunDaily.runDaily(options, at, params, council, (run) => Llm.forResume(run, council))
        }))
      ))
    )
).pipe(
  describe("Run a trading day: fetch data → PM pitches → peer review → council synthesis → risk approval → execution", exits.run),
  Command.withExamples([
    { command: "pnpm pipeline run daily", description: "the latest trading day in the data, every account" },
    { command: "pnpm pipeline run daily --dry-run --accounts COUNCIL,CLAUDE", description: "decide the latest day for two accounts, send nothing" },
    { command: "pnpm pipeline run daily --require-approval", description: "stop after the risk gate; send only after: pnpm pipeline approve <run-id>" }
  ])
)

const approve = Command.make(
  "approve",
  {
    runId: runIdArgument,
    reject: Flag.Boolean("reject").pipe(Flag.withDescription("reject the run instead: nothing is sent, the day ends (default: off)"), Flag.withDefault(false)),
    at: Flag.String("at").pipe(
      Flag.withDescription("local exchange only: the moment of the approval, HH:MM New York time on the run's day, not before the run's own moment (default: that moment)"),
      Flag.optional
    ),
    json: jsonFlag
  },
  (options) =>
    trading(`approve ${options.runId}`, (AppLayer) => using(Approve, (Approve) => Approve.liveOfRun(options.runId, AppLayer)), (AppLayer) =>
      using(Approve, (Approve) => Approve.decide(options, AppLayer)))
).pipe(describe(
  "Continue a run stopped by --require-approval: send its orders (refused after the schedule's cutoff), or --reject it",
  exits.approve
))

const replay = Command.make(
  "replay",
  {
    source: Argument.String("run").pipe(
      Argument.withDescription("a bundle file written by export when a file of that name exists, else a run id in this store, or latest (the newest run)")
    ),
    from: Flag.String("from").pipe(
      Flag.withDescription(`fork a new run from this stage (${DAILY_STAGE_NAMES.join(", ")}); a fork sends orders unless --dry-run is given, the parent was a dry run or --model swaps a model`),
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
    ),
    backtest: backtestFlag("a run (not a bundle file) of", "; never forked: --from refuses them")
  },
  ({ backtest, dryRun, from, model, send, source }) =>
    withMarket((AppLayer) =>
      Effect.all([Effect.promise(Replay), Effect.promise(CliFailure), Effect.promise(Llm)]).pipe(Effect.flatMap(([Replay, { CliFailure }, Llm]) =>
        Effect.gen(function*() {
          if (Option.isSome(from)) return yield* Replay.forkRun(source, { from: from.value, dryRun, send, models: model }, backtest)
          if (dryRun || send) return yield* CliFailure.usage("--dry-run and --send only apply with --from (a plain replay never sends anything)")
          if (model.length > 0) return yield* CliFailure.usage("--model only applies with --from (a plain replay asks no model)")
          const { backtest: of, bundle } = yield* Replay.replaySource(source, backtest)
          const origins = yield* Replay.originsOf(bundle, of)
          // a replay answers every external call from recordings: the run's services are there for the types only
          return yield* Replay.replayRun(bundle, of, origins).pipe(
            Effect.provide(AppLayer.tradingWith(Replay.momentOfBundle(bundle), "empty", Llm.forReplay(bundle).layer))
          )
        })
      ))
    )
).pipe(describe(
  "Re-execute a run from its recordings (zero live calls) and compare every stage (--backtest: a backtest's session); --from forks a new run that obeys every rule of run daily (the session, exit codes) and sends orders unless --dry-run, its parent was a dry run or comes from another home (a bundle file, an imported run), or --model swaps a model (then only with --send)",
  exits.replay
))

const runs = Command.make(
  "runs",
  {
    limit: Flag.Int("limit").pipe(Flag.withDescription("how many runs, newest first: 1–1000 (default: 20)"), Flag.withDefault(20)),
    before: Flag.String("before").pipe(Flag.withDescription("the runs listed after this run id (the last of the previous page; the list says it)"), Flag.optional),
    backtest: backtestFlag("the runs of"),
    json: jsonFlag
  },
  ({ backtest, before, json, limit }) => stored(backtest, (Runs) => Runs.listRuns(limit, before, json))
).pipe(describe("List runs, newest first, a page at a time (imported runs are marked); --backtest: a backtest's session runs", exits.store))

const show = Command.make(
  "show",
  {
    runId: runToRead,
    json: jsonFlag,
    full: Flag.Boolean("full").pipe(Flag.withDescription("with --json: the whole bundle, every checkpoint and recorded call (default: a summary)"), Flag.withDefault(false)),
    llm: Flag.Boolean("llm").pipe(
      Flag.withDescription("every LLM exchange: messages, raw answer, parsed value or validation error, attempts, usage, cost (default: off)"),
      Flag.withDefault(false)
    ),
    pm: Flag.String("pm").pipe(Flag.withDescription("with --llm: only this PM (or CHAIRMAN) (default: every role)"), Flag.optional),
    backtest: backtestFlag("a run of")
  },
  ({ backtest, full, json, llm, pm, runId }) =>
    llm
      ? using(LlmRecord, (LlmRecord) =>
        stored(backtest, (Runs) =>
          Effect.flatMap(LlmRecord.exchangeFilter(pm, full), (who) =>
            Effect.flatMap(Runs.loadBundle(runId), (bundle) => LlmRecord.showExchanges(bundle, who, json)))))
      : stored(backtest, (Runs) => Runs.showRun(runId, json, full, pm))
).pipe(describe("Show a run: its record, a summary of each stage's checkpoint and its LLM costs; --llm: its LLM exchanges", exits.store))

const exportCommand = Command.make(
  "export",
  {
    runId: runToRead,
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("write to this file (default: stdout)"), Flag.optional),
    backtest: backtestFlag("a run of")
  },
  ({ backtest, output, runId }) => stored(backtest, (Runs) => Runs.exportRun(runId, output))
).pipe(describe(
  "Write a self-contained bundle of a run: record, checkpoints, recordings, config without secrets, and their hashes",
  exits.store
))

const importCommand = Command.make(
  "import",
  { bundle: Argument.String("bundle.json").pipe(Argument.withDescription("a bundle file written by export (checked against its hashes)")) },
  ({ bundle: file }) =>
    configured(using(Storage, ({ storage }) =>
      using(Runs, (Runs) =>
        Effect.gen(function*() {
          const bundle = yield* Runs.readBundle(file)
          yield* Runs.checkImport(bundle, file).pipe(Effect.provide(storage("empty")))
          yield* Runs.writeImport(bundle, file).pipe(Effect.provide(storage("create")))
          yield* Console.log(Runs.importedMessage(bundle))
        }))))
).pipe(describe(
  "Import a run bundle written by export, to inspect and replay it (an imported run never counts as this home's run of its day)",
  exits.store
))

type AccountsModule = Awaited<ReturnType<typeof Accounts>>
type AccountIds = Effect.Success<ReturnType<AccountsModule["accountsFor"]>>

/**
 * Checks `--account` first, then opens the brokers (and the store: when an account lives on the local exchange,
 * or always with `"create"`; never with `"empty"`, which reads a missing home as empty and leaves it missing).
 */
const inspecting = <A, E, R>(
  account: Option.Option<string>,
  f: (Accounts: AccountsModule, ids: AccountIds) => Effect.Effect<A, E, R>,
  store?: "create" | "empty"
) =>
  withMarket((AppLayer) =>
    using(Accounts, (Accounts) =>
      Effect.flatMap(Accounts.accountsFor(account), (ids) => f(Accounts, ids).pipe(Effect.provide(AppLayer.inspecting(store))))))

const symbolFilter = Flag.String("symbol").pipe(Flag.withDescription("only this symbol, e.g. SPY (default: every symbol)"), Flag.optional)

/** `--symbol` checked (one line, exit 2) before anything is opened. */
const withSymbol = <A, E, R>(symbol: Option.Option<string>, f: (symbol: Option.Option<Ticker>) => Effect.Effect<A, E, R>) =>
  using(Manual, (Manual) =>
    Option.match(symbol, {
      onNone: () => f(Option.none()),
      onSome: (raw) => Effect.flatMap(Manual.symbolFlag(raw), (s) => f(Option.some(s)))
    }))

const accounts = Command.make(
  "accounts",
  { account: accountFlag, json: jsonFlag },
  ({ account, json }) => inspecting(account, (Accounts, ids) => Accounts.accounts(ids, json))
).pipe(describe("Every account's equity, cash and buying power", exits.accounts))

const positions = Command.make(
  "positions",
  { account: accountFlag, symbol: symbolFilter, json: jsonFlag },
  ({ account, json, symbol }) => withSymbol(symbol, (s) => inspecting(account, (Accounts, ids) => Accounts.positions(ids, s, json)))
).pipe(describe("Open positions per account", exits.accounts))

const orders = Command.make(
  "orders",
  {
    account: accountFlag,
    status: Flag.Literals("status", ["open", "closed", "all"]).pipe(Flag.withDescription("which orders (default: open)"), Flag.withDefault("open" as const)),
    symbol: symbolFilter,
    limit: Flag.Int("limit").pipe(Flag.withDescription("at most this many orders per account, newest first, 1–500 (default: 500)"), Flag.withDefault(500)),
    json: jsonFlag
  },
  ({ account, json, limit, status, symbol }) =>
    limit < 1 || limit > 500
      ? using(CliFailure, ({ CliFailure }) => Effect.fail(CliFailure.usage(`--limit ${limit}: expected 1 to 500`)))
      : withSymbol(symbol, (s) => inspecting(account, (Accounts, ids) => Accounts.orders(ids, { status, symbol: s, limit, json })))
).pipe(describe("Orders per account (with bracket legs)", exits.accounts))

const closeAll = Command.make(
  "close-all",
  {
    account: accountFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel all orders and liquidate all positions (required)"), Flag.withDefault(false)),
    json: jsonFlag
  },
  ({ account, json, yes }) =>
    using(Accounts, (Accounts) =>
      Effect.andThen(Accounts.confirmCloseAll(account, yes), inspecting(account, (Accounts, ids) => Accounts.closeAll(ids, json), "empty")))
).pipe(describe("The panic button: cancel every open order and close every position", exits.accounts))

const oneAccount = Flag.String("account").pipe(Flag.withDescription("the account (required)"))

const cancel = Command.make(
  "cancel",
  {
    account: oneAccount,
    orderId: Argument.String("order-id").pipe(Argument.withDescription("the order's id or its client order id, as listed by: pnpm pipeline orders")),
    json: jsonFlag
  },
  ({ account, json, orderId }) =>
    using(Cancel, (Cancel) =>
      withMarket((AppLayer) =>
        using(Accounts, (Accounts) =>
          Effect.flatMap(Accounts.accountsFor(Option.some(account)), ([id]) =>
            Cancel.cancelOne(id!, orderId, json).pipe(Effect.provide(AppLayer.inspecting("empty")))))))
).pipe(describe(
  "Cancel one open order of one account (the rest of its bracket or OCO group with it, whichever of its orders is named), through the safety broker; prints each canceled order as the broker reports it after the cancel",
  "Exit codes: 0 the broker accepted the cancel; 1 no such open order, or the broker or the safety broker (a dry-run account) refused, or (after the cancel) an order of its group that Council cannot read may still be working; 2 usage or configuration error, nothing sent."
))

const close = Command.make(
  "close",
  {
    account: oneAccount,
    symbol: Flag.String("symbol").pipe(Flag.withDescription("the position's ticker, e.g. SPY (required)")),
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel the symbol's open orders and liquidate the position (required)"), Flag.withDefault(false)),
    json: jsonFlag
  },
  ({ account, json, symbol, yes }) =>
    using(Manual, (Manual) =>
      Effect.andThen(
        Manual.confirmClose(account, symbol, yes),
        withSymbol(Option.some(symbol), (s) =>
          withMarket((AppLayer) =>
            using(Accounts, (Accounts) =>
              Effect.flatMap(Accounts.accountsFor(Option.some(account)), ([id]) =>
                Manual.closeOne(id!, Option.getOrThrow(s), json).pipe(Effect.provide(AppLayer.inspecting("empty"))))))))
    )
).pipe(describe(
  "Close one position of one account: cancel that symbol's open orders (its protective exits), then liquidate it with a market order, through the safety broker",
  "Exit codes: 0 the closing order was placed (or one an earlier close placed is still open: nothing sent); 1 no such position, or the broker or the safety broker (a dry-run account) refused; 2 usage or configuration error, nothing sent."
))

const reconcile = Command.make(
  "reconcile",
  { account: accountFlag, json: jsonFlag },
  ({ account, json }) => inspecting(account, (_, ids) => using(ReconcileCommand, (r) => r.reconcile(ids, json)), "create")
).pipe(describe(
  "Reconcile the ledger alone: every account's orders (bracket/OCO legs included), fills and account state since the last reconciliation, into the live book (what run daily does first)",
  "Exit codes: 0 every account reconciled (running it again changes nothing); 1 an account could not be read or written; 2 usage or configuration error, nothing done."
))

const order = Command.make(
  "order",
  {
    account: Flag.String("account").pipe(Flag.withDescription("the account to trade (required)")),
    symbol: Flag.String("symbol").pipe(Flag.withDescription("ticker, e.g. SPY (required)")),
    side: Flag.Literals("side", ["buy", "sell"]).pipe(Flag.withDescription("buy or sell (required)")),
    qty: Flag.String("qty").pipe(Flag.withDescription("shares > 0 (fractions only on accounts with \"fractional\": true) (required)")),
    type: Flag.Literals("type", ["market", "limit", "stop", "stop_limit"]).pipe(Flag.withDescription("order type (default: market)"), Flag.withDefault("market" as const)),
    limitPrice: Flag.String("limit-price").pipe(Flag.withDescription("with --type limit or stop_limit: the limit price (cents from $1, 4 decimals below)"), Flag.optional),
    stopPrice: Flag.String("stop-price").pipe(Flag.withDescription("with --type stop or stop_limit: the stop price (cents from $1, 4 decimals below)"), Flag.optional),
    extendedHours: Flag.Boolean("extended-hours").pipe(Flag.withDescription("may fill in the pre- and after-market sessions (Alpaca: --type limit --tif day only)"), Flag.withDefault(false)),
    tif: Flag.Literals("tif", ["day", "gtc", "opg", "cls", "ioc", "fok"]).pipe(Flag.withDescription("time in force (default: day)"), Flag.withDefault("day" as const)),
    nonce: Flag.String("nonce").pipe(
      Flag.withDescription("part of the client order id: the same command on the same New York day is placed once; a new nonce places it again (default: none)"),
      Flag.optional
    ),
    json: jsonFlag
  },
  (options) =>
    using(Manual, (Manual) =>
      withMarket((AppLayer) =>
        using(Accounts, (Accounts) =>
          Effect.gen(function*() {
            const [id] = yield* Accounts.accountsFor(Option.some(options.account))
            // every flag is checked before the brokers (and the local exchange's store) are opened
            const intent = yield* Manual.manualIntent(options, id!)
            yield* Manual.placeManual(intent, options.json).pipe(Effect.provide(AppLayer.inspecting()))
          }))))
).pipe(
  describe("Place one order for one account, through the safety broker (exactly once per command and New York day)", exits.order),
  Command.withExamples([
    { command: "pnpm pipeline order --account COUNCIL --symbol SPY --side buy --qty 10", description: "a market order for today's session" },
    { command: "pnpm pipeline order --account CLAUDE --symbol TLT --side sell --qty 5 --type limit --limit-price 91.25 --tif gtc", description: "a resting limit order" }
  ])
)

const cancelAll = Command.make(
  "cancel-all",
  {
    account: accountFlag,
    yes: Flag.Boolean("yes").pipe(Flag.withDescription("confirm: cancel every open order (required)"), Flag.withDefault(false)),
    json: jsonFlag
  },
  ({ account, json, yes }) =>
    using(Manual, (Manual) => Effect.andThen(Manual.confirmCancelAll(account, yes), inspecting(account, (_, ids) => Manual.cancelAll(ids, json), "empty")))
).pipe(describe("Cancel every open order (positions stay), through the safety broker", exits.accounts))

const verify = Command.make("verify", {}, () =>
  using(Llm, (Llm) => inspecting(Option.none(), (Accounts) => Llm.verifyAll(Accounts.verify)))).pipe(
  describe("Check every account's credentials against its broker, and that each configured LLM model answers a structured pitch (paid, its cost said): ✓ or ✗ per account and model", exits.verify)
)

// it reads no setting, but checks them all as every command does (a bad variable is found by whatever runs first)
const graph = Command.make("graph", {}, () =>
  Effect.flatMap(
    Effect.promise(() => Promise.all([import("@council/engine"), import("@council/daily"), Storage()])),
    ([{ Pipeline }, { DailyPipeline }, { configured }]) => Effect.provide(Console.log(Pipeline.toMermaid(DailyPipeline)), configured)
  )).pipe(
  describe("Print the daily pipeline as a Mermaid flowchart", exits.plain)
)

const backtest = Command.make(
  "backtest",
  {
    from: Flag.String("from").pipe(Flag.withDescription("first session YYYY-MM-DD (required unless --resume)"), Flag.optional),
    to: Flag.String("to").pipe(Flag.withDescription("last session YYYY-MM-DD (required unless --resume)"), Flag.optional),
    accounts: Flag.String("accounts").pipe(Flag.withDescription("comma-separated accounts to trade (default: all); every one trades on the backtest's own local exchange"), Flag.optional),
    pms: Flag.String("pms").pipe(
      Flag.withDescription("offline (the rule-based stand-ins), replay (answers recorded by earlier runs of the same sessions; an unrecorded question is not asked) or live (the configured LLMs, within the LLM budget) (default: offline)"),
      Flag.optional
    ),
    resume: Flag.String("resume").pipe(Flag.withDescription("continue an interrupted backtest by its id, as listed by: pnpm pipeline backtests, or latest (the newest)"), Flag.optional),
    json: jsonFlag
  },
  (options) => using(Backtest, (Backtest) => Backtest.backtest(options))
).pipe(
  describe(
    "Run the daily pipeline for every session of a range — same stages, same fill model — in a database of its own ($COUNCIL_HOME/backtests/<id>.db), as a ledger book; progress on stderr, the result on stdout",
    exits.backtest
  ),
  Command.withExamples([
    { command: "pnpm pipeline backtest --from 2020-01-02 --to 2020-12-31", description: "a year, every account, offline PMs" },
    { command: "pnpm pipeline backtest --resume bt-2020-01-02-2020-12-31-a1b2c3", description: "continue it after Ctrl-C or a crash" }
  ])
)

const exchangeServe = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port (default: 8787; 0: any free port)"), Flag.withDefault(8787)),
    host: Flag.String("host").pipe(Flag.withDescription("interface to listen on (default: 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    date: Flag.String("date").pipe(Flag.withDescription("session to trade YYYY-MM-DD (default: where the ledger's accounts are, see --at; on a ledger without orders, the latest session in the data)"), Flag.optional),
    at: Flag.String("at").pipe(Flag.withDescription("the moment on that day, HH:MM New York time (default: 15:45; given neither --date nor --at, where the ledger's accounts are — the latest point an account with orders was brought to, 15:45 of that session or, after an after-close run, its close — so a restart resumes there)"), Flag.optional),
    latencyMs: Flag.Int("latency-ms").pipe(Flag.withDescription("each answer leaves this many milliseconds after its request arrived, the request handled meanwhile (default: 0)"), Flag.withDefault(0)),
    faultRate: Flag.Finite("fault-rate").pipe(Flag.withDescription("probability in [0, 1] that a request gets a fault (default: 0)"), Flag.withDefault(0)),
    faultKinds: Flag.String("fault-kinds").pipe(Flag.withDescription("comma-separated 429,500,503,drop (default: all)"), Flag.optional),
    rateLimit: Flag.Int("rate-limit").pipe(Flag.withDescription("requests per API key per window (default: 200)"), Flag.withDefault(200)),
    rateWindow: Flag.Int("rate-window").pipe(Flag.withDescription("the rate limit's window in seconds (default: 60)"), Flag.withDefault(60)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("seed of the fault injection, for reproducible faults (default: random)"), Flag.optional)
  },
  (options) => withMarket(() => using(Exchange, (Exchange) => Exchange.serve(options)))
).pipe(describe("Serve the local exchange as an Alpaca-compatible HTTP API until Ctrl-C or SIGTERM", exits.serve))

const exchangeKeys = Command.make("keys", { json: jsonFlag }, ({ json }) =>
  withMarket((AppLayer) => using(Exchange, (Exchange) => Exchange.keys(json).pipe(Effect.provide(AppLayer.inspecting("create")))))).pipe(
    describe("The API key pairs of the configured accounts on the local exchange (created if missing)", exits.store)
  )

const exchange = Command.make("exchange").pipe(
  describe("The local paper exchange over HTTP (Alpaca's API): serve, keys", exits.plain),
  Command.withSubcommands([exchangeServe, exchangeKeys])
)

export const root = Command.make("pipeline").pipe(
  describe(
    "Council: an LLM trading council, one trading day at a time",
    "Exit codes: 0 success; 1 the work failed (an account, a replay); 2 usage or configuration error (nothing done, nothing written); 130 interrupted by Ctrl-C or SIGTERM (each command's help says how to continue it)."
  ),
  Command.withSubcommands([run, approve, replay, runs, show, exportCommand, importCommand, accounts, positions, orders, order, cancel, cancelAll, close, closeAll, reconcile, verify, backtest, ...monitorCommands, graph, exchange])
)

export const main = Command.runWith(root, { version: codeVersion })
