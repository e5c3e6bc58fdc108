/**
 * The commands of the ledger and the monitor — `leaderboard`, `equity`, `backtests`, `serve` — as definitions only
 * (arguments, flags, help): each loads its implementation (`Standings.ts`, `Serve.ts`) and the layers it needs when
 * it runs. Every one checks the whole configuration first (one line naming the variable, exit 2, nothing written).
 */
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { describe, using } from "../CommandDefinition.ts"

const Standings = () => import("./Standings.ts")
const Serve = () => import("./Serve.ts")


const exits = {
  ledger: "Exit codes: 0 done (also when the book is still empty); 1 the ledger could not be read; 2 usage or configuration error (an unknown --backtest too), nothing done.",
  books: "Exit codes: 0 done (also when there is no backtest yet); 1 the ledger could not be read; 2 usage or configuration error, nothing done.",
  serve: "Exit codes: 0 stopped by SIGINT/SIGTERM (or when the pnpm that launched it exits); 2 usage or configuration error (a port in use, too short a COUNCIL_API_TOKEN), nothing done."
} as const


const window = {
  from: Flag.String("from").pipe(Flag.withDescription("first session YYYY-MM-DD (default: the book's first)"), Flag.optional),
  to: Flag.String("to").pipe(Flag.withDescription("last session YYYY-MM-DD (default: the book's last)"), Flag.optional),
  backtest: Flag.String("backtest").pipe(Flag.withDescription("a backtest's book: its id, or latest; live (the default) for the live book"), Flag.optional)
}

const asJson = (what: string) => Flag.Boolean("json").pipe(Flag.withDescription(`print ${what} as JSON on stdout (logs stay on stderr; default: a table)`), Flag.withDefault(false))

const leaderboard = Command.make("leaderboard", { ...window, json: asJson("the report") }, (options) => using(Standings, (s) => s.leaderboard(options))).pipe(
  describe("Rank the accounts of a book over a window: metrics, 95 % bootstrap intervals, n, LLM cost and P&L net of it, and a one-line verdict against SPY buy-and-hold (unranked under 20 sessions)", exits.ledger),
  Command.withExamples([
    { command: "pnpm pipeline leaderboard", description: "the live book, every session" },
    { command: "pnpm pipeline leaderboard --backtest latest --from 2020-01-02 --json", description: "the newest backtest from 2020, as JSON" }
  ])
)

const equity = Command.make(
  "equity",
  {
    ...window,
    account: Flag.String("account").pipe(Flag.withDescription("only this account's series (default: every account in the book); RANDOM or MECHANICAL: that paper baseline's"), Flag.optional),
    baselines: Flag.Boolean("baselines").pipe(
      Flag.withDescription("also the leaderboard's paper baselines (RANDOM, MECHANICAL) over the same window, as it ranks them: cash, market values, llm_cost and spy_mark empty; marked_at the moment each is valued at"),
      Flag.withDefault(false)
    ),
    csv: Flag.Boolean("csv").pipe(Flag.withDescription("print CSV: account,date,equity,cash,long/short market value,gross exposure,traded,llm_cost,spy_close,marked_at,spy_mark,spy_benchmark (default: a table, whose SPY is spy_benchmark: SPY at the snapshot's moment, marked_at — under the close schedule a backtest's session open, not spy_close, the close)"), Flag.withDefault(false))
  },
  (options) => using(Standings, (s) => s.equity(options))
).pipe(describe("Each account's daily equity series from the ledger, beside SPY's close and its price at the snapshot's moment", exits.ledger))

const backtests = Command.make(
  "backtests",
  {
    json: asJson("the list"),
    limit: Flag.Int("limit").pipe(Flag.withDescription("how many backtests, newest first: 1–1000 (default: 50)"), Flag.withDefault(50)),
    before: Flag.String("before").pipe(Flag.withDescription("the backtests listed after this id (the last of the previous page; the list says it)"), Flag.optional)
  },
  (page) => using(Standings, (s) => s.backtests(page))
).pipe(describe("List the backtests' books, newest first, a page at a time: id, status, the range asked, the sessions recorded (how far it got)", exits.books))

const serve = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port (default: 8080; 0: any free port)"), Flag.withDefault(8080)),
    host: Flag.String("host").pipe(Flag.withDescription("interface to listen on (default: 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    allowedHost: Flag.String("allowed-host").pipe(
      Flag.withDescription("a host name clients reach the monitor by, e.g. council.lan (repeatable; also COUNCIL_ALLOWED_HOSTS, comma-separated): requests addressed to any other name are refused (DNS rebinding); localhost and, off loopback, IP addresses are always answered"),
      Flag.atLeast(0)
    ),
    trustProxy: Flag.String("trust-proxy").pipe(
      Flag.withDescription("a reverse proxy's address or network, e.g. 127.0.0.1 or 10.0.0.0/8 (repeatable): its X-Forwarded-For/-Host/-Proto are believed (client address, name, scheme); anyone else's are ignored"),
      Flag.atLeast(0)
    )
  },
  (options) => using(Serve, (s) => s.serve(options))
).pipe(describe(
  "Serve the monitor API (OpenAPI at /openapi.json) and the web dashboard until Ctrl-C or SIGTERM; mutations need COUNCIL_API_TOKEN",
  exits.serve
))

export const monitorCommands = [leaderboard, equity, backtests, serve] as const
