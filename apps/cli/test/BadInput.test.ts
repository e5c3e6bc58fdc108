import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { createServer as createTcpServer } from "node:net"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { BundleFile, type RunBundle } from "@council/engine"
import { refusingPort } from "../../../packages/store/test/StoreFixture.ts"
import { fingerprint } from "./BrokerDoubles.ts"
import { runIdOf } from "./CliHarness.ts"
import { cliInProcess, fetched } from "./InProcess.ts"
import { jsonRequested } from "../src/JsonFailure.ts"

const KEY = "PKTESTK7H2M9Q4R8X1Z5"
const SECRET = "sk-test-9f8e7d6c5b4a3f2e1d0c9b8a7f6e"
const PASSWORD = "hunter2-Pa55w0rd-q7"
const SECRETS = [KEY, SECRET, PASSWORD]
/** The requests made before this file began (a worker may have run other files in this process) are not its own. */
const fetchedBefore = fetched.length

const root = mkdtempSync(join(tmpdir(), "council-bad-input-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const populated = join(root, "populated")
const file = (name: string) => join(root, name)
let freshCount = 0
const freshHome = () => join(root, `fresh-${++freshCount}`, "home")

const account = (fields: Record<string, unknown> = {}) =>
  JSON.stringify([{ id: "COUNCIL", mode: "PAPER", credentials: { keyId: KEY, secretKey: SECRET }, ...fields }])
const perAccount = (baseUrl?: string) => ({
  COUNCIL_ACCOUNTS: "COUNCIL",
  ALPACA_COUNCIL_KEY_ID: KEY,
  ALPACA_COUNCIL_SECRET_KEY: SECRET,
  ...(baseUrl === undefined ? {} : { ALPACA_COUNCIL_BASE_URL: baseUrl })
})
const LIVE_HOST = "https://api.alpaca.markets"
const refusedLive = /^error: per-account variables: COUNCIL: its base URL is Alpaca's live trading host \(api\.alpaca\.markets\), which trades real money, but its mode is PAPER; refused/

interface BadInput {
  readonly args: ReadonlyArray<string> | (() => ReadonlyArray<string>)
  readonly env?: Record<string, string> | (() => Record<string, string>)
  /** Which COUNCIL_HOME: a fresh one (must stay absent), the one that ran a day, or the one `env` names. */
  readonly home?: "fresh" | "populated" | "env"
  readonly code?: 1 | 2
  readonly stdoutLines?: number
  /** The last line on stderr. */
  readonly error: RegExp
  /** No request may leave the process (always so for exit 2). */
  readonly noRequests?: boolean
}

/**
 * With `--json`, a command that fails before its result prints one JSON document on stdout: the exit code and
 * the error line stderr carries (effect/cli's own refusals add where to find help there).
 */
const jsonFailureProblem = (r: { readonly stdout: string; readonly stderr: string }, code: number): string => {
  try {
    const document = JSON.parse(r.stdout) as { readonly error?: { readonly exitCode?: unknown; readonly message?: unknown } }
    const message = document.error?.message
    if (Object.keys(document).join() !== "error" || document.error?.exitCode !== code) return `stdout is not the error of exit ${code}: ${r.stdout}`
    return typeof message === "string" && message !== "" && r.stderr.trim().startsWith(`error: ${message}`) ? "" : `stdout's message is not stderr's: ${r.stdout}`
  } catch {
    return `stdout is not one JSON document: ${r.stdout}`
  }
}

let runId = ""
let unauthorized = ""
let takenPort = 0
let refusedPort = 0
let servers: Array<Server | ReturnType<typeof createTcpServer>> = []

const table: ReadonlyArray<BadInput> = [
  // commands, arguments and flags
  { args: ["bogus"], error: /^error: Unknown subcommand "bogus" for "pipeline"/ },
  { args: ["run"], error: /^error: Missing required argument: / },
  { args: ["run", "weekly"], error: /^error: unknown pipeline "weekly"; available: daily$/ },
  { args: ["run", "daily", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  // a near miss: effect/cli's suggestions in the one line (they were lines of their own under "Did you mean this?")
  { args: ["runs", "--jsn"], error: /^error: Unrecognized flag: --jsn in command pipeline runs; did you mean --json\? \(see: pnpm pipeline runs --help\)$/ },
  { args: ["run", "daily", "--dat", "2026-06-05", "--json"], error: /^error: Unrecognized flag: --dat in command pipeline run; did you mean --date or --at\? / },
  { args: ["backtest", "--resume", "latest"], home: "fresh", error: /^error: --resume latest: there is no backtest yet \(start one with: pnpm pipeline backtest --from D1 --to D2\)$/ },
  { args: ["backtets"], home: "fresh", error: /^error: Unknown subcommand "backtets" for "pipeline"; did you mean backtests\? \(see: pnpm pipeline --help\)$/ },
  { args: ["exchange", "serv"], error: /^error: Unknown subcommand "serv" for "pipeline exchange"; did you mean serve\? / },
  { args: ["run", "daily", "--date", "June 5"], error: /^error: --date June 5: expected a date as YYYY-MM-DD$/ },
  { args: ["run", "daily", "--date", "2099-01-01"], error: /^error: --date 2099-01-01: 2099-01-01 is after the last session in the data/ },
  { args: ["run", "daily", "--at", "25:00"], error: /^error: --at 25:00: expected HH:MM, New York time \(e\.g\. 15:45\)$/ },
  { args: ["run", "daily", "--at", "3pm"], home: "fresh", error: /^error: --at 3pm: expected HH:MM/ },
  { args: ["run", "daily"], env: { COUNCIL_SCHEDULE: "noon" }, error: /^error: COUNCIL_SCHEDULE: expected close or after-close, got "noon"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_LOCK_TTL_SECONDS: "0" }, error: /^error: COUNCIL_LOCK_TTL_SECONDS: expected a number of seconds ≥ 1, got "0"$/ },
  { args: ["runs"], env: { COUNCIL_LOCK_TTL_SECONDS: "soon" }, error: /^error: COUNCIL_LOCK_TTL_SECONDS: expected a number of seconds ≥ 1, got "soon"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_BARS_CACHE: "of" }, error: /^error: COUNCIL_BARS_CACHE: expected on or off, got "of"$/ },
  { args: ["runs"], env: { COUNCIL_BARS_CACHE: "false" }, error: /^error: COUNCIL_BARS_CACHE: expected on or off, got "false"$/ },
  { args: ["approve", "no-such-run"], error: /^error: no run with id no-such-run \(list runs with: pnpm pipeline runs\)$/ },
  { args: ["approve", "no-such-run", "--json"], error: /^error: no run with id no-such-run \(list runs with: pnpm pipeline runs\)$/ },
  { args: ["approve", "no-such-run", "--reject"], home: "fresh", error: /^error: no run with id no-such-run \(list runs with: pnpm pipeline runs\)$/ },
  { args: ["run", "daily", "--date", "2026-02-30"], error: /^error: --date 2026-02-30: / },
  { args: ["run", "daily", "--date", ""], error: /^error: --date : expected a date as YYYY-MM-DD$/ },
  { args: ["run", "daily", "--date", "2026-06-04"], error: /has traded CHATGPT up to 2026-06-08 \(during the session\); positions carry across days, so it cannot trade 2026-06-04 \(during the session\) \(a replay without --from reads that day's run from its recordings; or use a fresh COUNCIL_HOME\)$/ },
  { args: ["run", "daily", "--date", "2026-06-04", "--dry-run"], error: /has traded CHATGPT up to 2026-06-08/ },

  { args: ["run", "daily", "--accounts", ""], error: /^error: --accounts: no account named \(configured: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, COUNCIL\)$/ },
  { args: ["run", "daily", "--accounts", ",,,"], error: /^error: --accounts: no account named/ },
  { args: ["run", "daily", "--accounts", " , "], home: "fresh", error: /^error: --accounts: no account named/ },
  { args: ["run", "daily", "--accounts", ",,,", "--json"], home: "fresh", error: /^error: --accounts: no account named/ },
  { args: ["run", "daily", "--accounts", "NOPE"], error: /^error: --accounts: unknown account NOPE/ },
  { args: ["run", "daily", "--accounts", "COUNCIL,NOPE", "--dry-run"], home: "fresh", error: /unknown account NOPE/ },
  { args: ["replay"], error: /^error: Missing required argument: run / },
  { args: ["replay", "no-such-run"], error: /^error: no run with id no-such-run \(list runs with: pnpm pipeline runs\)$/ },
  { args: ["replay", "no-such-run"], home: "fresh", error: /^error: no run with id no-such-run/ },
  { args: () => ["replay", runId, "--dry-run"], error: /^error: --dry-run and --send only apply with --from/ },
  { args: () => ["replay", runId, "--send"], error: /only apply with --from/ },
  { args: () => ["replay", runId, "--from", "Nowhere"], error: /^error: unknown stage "Nowhere"; stages are Reconcile, FetchData, /i },
  { args: () => ["replay", runId, "--from", "RiskApproval", "--dry-run", "--send"], error: /^error: --dry-run and --send contradict each other$/ },
  { args: () => ["replay", file("tampered.json")], home: "fresh", error: /was changed after export: the checkpoint of stage CouncilSynthesis does not match its hash; refusing it$/ },
  { args: () => ["replay", file("v1.json"), "--from", "Execution"], home: "fresh", error: /is a council-run-bundle\/1 bundle, written before bundles carried hashes/ },
  { args: () => ["replay", file("not-json.txt")], error: /is not a Council run bundle \(not JSON\)$/ },
  // a path is read as a bundle file, never looked up as a run id
  { args: ["replay", "/nonexistent/bundle.json"], home: "fresh", error: /^error: cannot read \/nonexistent\/bundle\.json: no such file \(ENOENT\)$/ },
  { args: ["replay", "bundle.json"], home: "fresh", error: /^error: cannot read bundle\.json: no such file \(ENOENT\)$/ },
  { args: () => ["replay", root], home: "fresh", error: /^error: cannot read .*: a directory, not a file \(EISDIR\)$/ },
  { args: () => ["replay", file("orphan.json"), "--from", "Execution"], home: "fresh", error: /its run was forked from 2026-06-05-deadbeef, which is not in this store \(import that run first\)$/ },
  { args: ["runs", "--limit", "0"], error: /^error: --limit 0: expected a whole number from 1 to 1000$/ },
  { args: ["runs", "--limit", "-1"], home: "fresh", error: /^error: --limit -1: expected a whole number from 1 to 1000$/ },
  { args: ["runs", "--limit", "abc"], error: /^error: --limit abc: expected a number \(see: pnpm pipeline runs --help\)$/ },
  { args: ["runs", "--limit", "1.5"], home: "fresh", error: /^error: --limit 1\.5: expected a whole number \(see: pnpm pipeline runs --help\)$/ },
  { args: ["leaderboard", "--from"], home: "fresh", error: /^error: --from: missing its value \(see: pnpm pipeline leaderboard --help\)$/ },
  { args: ["leaderboard", "--json", "--from"], error: /^error: --from: missing its value \(see: pnpm pipeline leaderboard --help\)$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "hold", "--qty", "1", "--json"], home: "fresh", error: /^error: --side hold: expected buy or sell/ },
  { args: ["orders", "--status", "weird"], home: "fresh", error: /^error: --status weird: expected open, closed or all \(see: pnpm pipeline orders --help\)$/ },
  { args: ["show"], error: /^error: Missing required argument: / },
  { args: ["show", "no-such-run"], home: "fresh", error: /^error: no run with id no-such-run/ },
  { args: ["show", "no-such-run", "--json"], home: "fresh", error: /^error: no run with id no-such-run/ },
  { args: ["show", "no-such-run", "--json=false"], home: "fresh", error: /^error: no run with id no-such-run/ },
  { args: () => ["show", runId, "--full"], error: /^error: --full only applies with --json/ },
  { args: ["export", "no-such-run", "-o", file("never.json")], error: /^error: no run with id no-such-run/ },
  { args: ["export"], error: /^error: Missing required argument: / },
  { args: () => ["export", runId, "-o", ""], error: /^error: --output: expected a file path, got "" \(leave -o out to write to stdout\)$/ },
  { args: () => ["export", runId, "--output", "  "], error: /^error: --output: expected a file path, got "  "/ },
  { args: () => ["export", runId, "-o", root], error: /^error: --output .*: cannot write there \(EISDIR\)$/ },
  { args: () => ["export", runId, "-o", "/nonexistent/bundle.json"], error: /^error: --output \/nonexistent\/bundle\.json: cannot write there \(ENOENT\)$/ },
  { args: ["import"], error: /^error: Missing required argument: / },
  { args: ["import", "/nonexistent/bundle.json"], home: "fresh", error: /^error: cannot read \/nonexistent\/bundle\.json: no such file \(ENOENT\)$/ },
  { args: () => ["import", root], error: /^error: cannot read .*: a directory, not a file \(EISDIR\)$/ },
  { args: () => ["import", file("not-json.txt")], home: "fresh", error: /is not a Council run bundle \(not JSON\)$/ },
  { args: () => ["import", file("v1.json")], error: /council-run-bundle\/1 bundle/ },
  { args: () => ["import", file("tampered.json")], home: "fresh", error: /was changed after export/ },
  { args: () => ["import", file("orphan.json")], home: "fresh", error: /forked from 2026-06-05-deadbeef, which is not in this store/ },
  { args: () => ["import", file("bundle.json")], error: /^error: cannot import .*: run \S+ is already in this store$/ },
  // a crafted bundle (its hashes recomputed): refused in one line that repeats none of it, before anything is written
  { args: () => ["import", file("deep.json")], home: "fresh", error: /deep\.json nests arrays and objects deeper than 256 levels \(Council's bundles nest about 10\); refusing it$/ },
  { args: () => ["replay", file("deep.json")], home: "fresh", error: /deep\.json nests arrays and objects deeper than 256 levels/ },
  { args: () => ["import", file("huge.json")], home: "fresh", error: /huge\.json is 300 MiB, more than a run bundle may be \(256 MiB\); refusing it$/ },
  { args: () => ["import", file("markup-id.json")], home: "fresh", error: /markup-id\.json is refused: its run id is not one Council writes \(letters, digits, '\.', '_' and '-', at most 100 characters\)$/ },
  { args: () => ["import", file("long-id.json")], home: "fresh", error: /long-id\.json is refused: its run id is not one Council writes/ },
  { args: () => ["replay", file("dotted-parent.json"), "--from", "Execution"], home: "fresh", error: /dotted-parent\.json is refused: the id of the run it was forked from is not one Council writes/ },
  { args: ["positions", "--account", "NOPE"], error: /^error: --account: unknown account NOPE/ },
  { args: ["positions", "--account", ""], home: "fresh", error: /^error: --account: no account named/ },
  { args: ["orders", "--account", "NOPE"], home: "fresh", error: /unknown account NOPE/ },
  { args: ["reconcile", "--account", "NOPE"], home: "fresh", error: /^error: --account: unknown account NOPE/ },
  { args: ["reconcile", "--account", "NOPE", "--json", "yes"], home: "fresh", error: /^error: --account: unknown account NOPE/ },
  { args: ["reconcile", "--account", ""], home: "fresh", error: /^error: --account: no account named/ },
  { args: ["reconcile", "--nope"], home: "fresh", error: /Unrecognized flag: --nope/ },
  { args: ["orders", "--status", "weird"], error: /^error: .*status/i },
  { args: ["close-all"], home: "fresh", error: /add --yes to confirm$/ },
  { args: ["close-all", "--account", "NOPE", "--yes"], error: /unknown account NOPE/ },
  { args: ["close-all", "--account", "", "--yes"], error: /^error: --account: no account named/ },
  { args: ["order"], home: "fresh", error: /^error: Missing required flag: --account/ },
  { args: ["order", "--account", "NOPE", "--symbol", "SPY", "--side", "buy", "--qty", "1"], error: /^error: --account: unknown account NOPE/ },
  { args: ["order", "--account", "", "--symbol", "SPY", "--side", "buy", "--qty", "1"], home: "fresh", error: /^error: --account: no account named/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "S&P", "--side", "buy", "--qty", "1"], home: "fresh", error: /^error: --symbol S&P: expected a ticker such as SPY$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "hold", "--qty", "1"], error: /^error: --side hold: expected buy or sell \(see: pnpm pipeline order --help\)$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "0"], home: "fresh", error: /^error: --qty 0: expected a number of shares > 0$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "ten"], error: /^error: --qty ten: expected a number of shares > 0$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--type", "limit"], home: "fresh", error: /^error: --type limit needs --limit-price$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--limit-price", "500"], error: /^error: --limit-price only applies with --type limit or stop_limit$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--type", "limit", "--limit-price", "500.123"], home: "fresh", error: /^error: --limit-price 500\.123: at most 2 decimals from \$1 up, 4 below$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--type", "limit", "--limit-price", "-5"], error: /^error: --limit-price -5: expected a price > 0$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--tif", "weekly"], home: "fresh", error: /^error: --tif weekly: expected day, gtc, opg, cls, ioc or fok \(see: pnpm pipeline order --help\)$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--nonce", "two words"], error: /^error: --nonce: 1 to 32 letters, digits, - or _$/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--json", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  { args: ["cancel-all"], home: "fresh", error: /^error: cancel-all cancels every open order of every account; add --yes to confirm$/ },
  { args: ["cancel-all", "--account", "NOPE", "--yes"], error: /unknown account NOPE/ },
  { args: ["cancel-all", "--account", "", "--yes", "--json"], home: "fresh", error: /^error: --account: no account named/ },
  { args: ["graph", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  { args: ["graph"], home: "fresh", env: { COUNCIL_RISK_FREE: "4%" }, error: /^error: COUNCIL_RISK_FREE: expected a yearly rate as a fraction/ },
  { args: ["leaderboard", "--json"], home: "fresh", env: { COUNCIL_RISK_FREE: "  " }, error: /^error: COUNCIL_RISK_FREE: is set but blank; unset it or give it a value$/ },
  { args: ["exchange", "bogus"], error: /^error: Unknown subcommand "bogus"/ },
  { args: ["exchange", "keys", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  { args: ["exchange", "keys", "--json", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  { args: ["exchange", "serve", "--date", "2026-02-30"], home: "fresh", error: /^error: --date 2026-02-30: / },
  { args: ["exchange", "serve", "--date", "2026-06-06"], error: /^error: --date 2026-06-06: .*not a trading session/ },
  { args: ["exchange", "serve", "--date", "2099-01-01"], home: "fresh", error: /^error: --date 2099-01-01: .*after the last session/ },
  { args: ["exchange", "serve", "--date", "soon"], error: /^error: --date: expected YYYY-MM-DD, got "soon"$/ },
  { args: ["exchange", "serve", "--port", "70000"], home: "fresh", error: /^error: --port must be 0–65535$/ },
  { args: ["exchange", "serve", "--port", "-1"], error: /^error: --port must be 0–65535$/ },
  { args: ["exchange", "serve", "--latency-ms", "-5"], error: /^error: --latency-ms must be a whole number ≥ 0$/ },
  { args: ["exchange", "serve", "--fault-rate", "2"], home: "fresh", error: /^error: --fault-rate must be in \[0, 1\]$/ },
  { args: ["exchange", "serve", "--fault-rate", "-0.5"], error: /--fault-rate must be in \[0, 1\]/ },
  { args: ["exchange", "serve", "--fault-kinds", "bogus"], error: /^error: --fault-kinds: unknown fault kind "bogus"/ },
  { args: ["exchange", "serve", "--fault-kinds", ","], error: /^error: --fault-kinds: no fault kinds given$/ },
  { args: ["exchange", "serve", "--rate-limit", "0"], error: /^error: --rate-limit must be a positive integer/ },
  { args: ["exchange", "serve", "--seed", "abc"], error: /^error: .*seed/i },
  { args: ["exchange", "serve", "--host", ""], home: "fresh", error: /^error: --host must name an interface/ },
  { args: ["exchange", "serve", "--host", "256.1.1.1", "--port", "0"], home: "fresh", error: /^error: --host\/--port: cannot listen on 256\.1\.1\.1:0: E[A-Z_]+( — --host is not an address of this machine: give one of its own, 127\.0\.0\.1 or 0\.0\.0\.0)?$/ },
  { args: () => ["exchange", "serve", "--port", String(takenPort)], home: "fresh", error: /^error: --host\/--port: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE — the port is in use \(a server already running\?\): give another --port, or --port 0 for any free one$/ },
  // TRADING_ACCOUNTS_CONFIG
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: " \n " }, error: /^error: TRADING_ACCOUNTS_CONFIG is set but blank/ },
  { args: ["run", "daily"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","credentials":{"keyId":"${KEY}","secretKey":${SECRET}}}]` }, error: /^error: TRADING_ACCOUNTS_CONFIG: not valid JSON: syntax error at line 1, column \d+ \(character \d+\)$/ },
  { args: ["verify"], env: { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","credentials":{"keyId":"${KEY}","secretKey":"${SECRET}" "x"}}]` }, error: /not valid JSON: syntax error at line 1/ },
  { args: ["runs"], env: { TRADING_ACCOUNTS_CONFIG: "{\"id\":\"A\"}" }, error: /expected a JSON array of accounts$/ },
  // the README's example pasted with its placeholders: once, at start-up, not as retried transport errors
  { args: ["accounts"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","mode":"PAPER","credentials":{"keyId":"…","secretKey":"…"},"baseUrl":"http://127.0.0.1:9"}]` }, error: /^error: TRADING_ACCOUNTS_CONFIG: account #1 \(COUNCIL\): credentials\.keyId: character 1 is not printable ASCII, which no key holds \(a placeholder such as "…" or a curly quote left in\?\): give the key as it was issued$/ },
  { args: ["verify"], home: "fresh", env: { ANTHROPIC_API_KEY: "…", ANTHROPIC_BASE_URL: "http://127.0.0.1:9" }, error: /^error: ANTHROPIC_API_KEY: character 1 is not printable ASCII, which no key holds/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: "PKDATAKEY0000000000\u2019", ALPACA_PERSONAL_SECRET_KEY: SECRET, COUNCIL_DATA_URL: "http://127.0.0.1:9" }, error: /^error: ALPACA_PERSONAL_KEY_ID: character 20 is not printable ASCII, which no key holds/ },
  { args: ["accounts"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: "[]" }, error: /the array is empty/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ id: "council" }) }, error: /account #1 \(council\): id: account names are UPPERCASE/ },
  { args: ["run", "daily"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ mode: "REAL" }) }, error: /: account #1 \(COUNCIL\): mode: expected PAPER or LIVE$/ },
  { args: ["positions"], env: { TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "COUNCIL", mode: "PAPER" }]) }, error: /credentials: missing \(an account without keys, on the local exchange, says "broker": "local-exchange"\)$/ },
  { args: ["orders"], env: { TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "COUNCIL", mode: "PAPER", credentials: { keyId: KEY, secretKey: 987654321098765 } }]) }, error: /credentials\.secretKey: expected a string$/ },
  { args: ["verify"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ baseUrl: `http://trader:${PASSWORD}@127.0.0.1:8787` }) }, error: /baseUrl: must not contain user:password@/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ baseUrl: "paper-api" }) }, error: /baseUrl: is not a URL/ },
  { args: ["verify"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ baseUrl: LIVE_HOST }) }, error: /^error: TRADING_ACCOUNTS_CONFIG: COUNCIL: its base URL is Alpaca's live trading host/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ baseUrl: "HTTPS://API.ALPACA.MARKETS.:443/v2/", liveConfirmed: true }), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }, error: /its mode is PAPER; refused/ },
  { args: ["verify"], env: { TRADING_ACCOUNTS_CONFIG: account({ mode: "LIVE", liveConfirmed: true }) }, error: /COUNCIL: mode LIVE is refused unless COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY is set$/ },
  { args: ["close-all", "--yes"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ mode: "LIVE" }), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }, error: /mode LIVE also needs "liveConfirmed": true/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ keyID: "typo" }) }, error: /keyID: not a field Council reads$/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: JSON.stringify([...JSON.parse(account()), ...JSON.parse(account())]) }, error: /account COUNCIL is configured twice/ },
  { args: ["run", "daily"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ settings: { maxPositionPct: 150 } }) }, error: /settings\.maxPositionPct: / },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ rateLimitPerMinute: 0 }) }, error: /rateLimitPerMinute: / },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ settings: { maxGrossExposurePct: 150 } }) }, error: /^error: TRADING_ACCOUNTS_CONFIG: account #1 \(COUNCIL\): settings\.maxGrossExposurePct: 150 is above 100 %, which needs "allowMargin": true$/ },
  { args: ["run", "daily"], env: { TRADING_ACCOUNTS_CONFIG: account({ settings: { exits: { BASE: { stopLossPct: 100 } } } }) }, error: /^error: TRADING_ACCOUNTS_CONFIG: account #1 \(COUNCIL\): settings\.exits\.BASE\.stopLossPct: / },
  { args: ["cancel-all", "--yes"], home: "fresh", env: { TRADING_ACCOUNTS_CONFIG: account({ settings: { maxOpenPositions: -1 } }) }, error: /settings\.maxOpenPositions: / },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1"], env: perAccount(LIVE_HOST), error: refusedLive },

  // per-account variables, PAPER_ALPACA_*, COUNCIL_ALLOW_LIVE — the LIVE guard on every route to a broker
  { args: ["run", "daily"], env: { COUNCIL_ACCOUNTS: ",,," }, error: /^error: COUNCIL_ACCOUNTS names no account/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_ACCOUNTS: "CLAUDE,council-1" }, error: /COUNCIL_ACCOUNTS: "council-1" is not a valid account name/ },
  { args: ["accounts"], env: { COUNCIL_ACCOUNTS: "   " }, error: /^error: COUNCIL_ACCOUNTS is set but blank/ },
  { args: ["run", "daily"], env: { ALPACA_COUNCIL_KEY_ID: KEY }, error: /^error: per-account variables: CHATGPT: ALPACA_CHATGPT_KEY_ID is not set \(to trade only COUNCIL, set COUNCIL_ACCOUNTS=COUNCIL\)$/ },
  { args: ["verify"], home: "fresh", env: { ...perAccount(), ALPACA_COUNCIL_KEY_ID: "  " }, error: /^error: ALPACA_COUNCIL_KEY_ID is set but blank/ },
  { args: ["verify"], home: "fresh", env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["run", "daily"], env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["run", "daily", "--dry-run"], home: "fresh", env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["close-all", "--yes"], env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["accounts"], home: "fresh", env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["positions"], env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["orders", "--status", "all"], home: "fresh", env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["exchange", "keys"], env: perAccount(LIVE_HOST), error: refusedLive },
  { args: () => ["replay", runId, "--from", "Execution"], env: perAccount(LIVE_HOST), error: refusedLive },
  { args: () => ["replay", file("bundle.json"), "--from", "RiskApproval", "--send"], home: "fresh", env: perAccount(LIVE_HOST), error: refusedLive },
  { args: ["verify"], env: perAccount("HTTP://API.ALPACA.MARKETS."), error: refusedLive },
  { args: ["run", "daily"], home: "fresh", env: perAccount("https://api.alpaca.markets:443/v2/"), error: refusedLive },
  { args: ["accounts"], env: perAccount("https://api%2Ealpaca%2Emarkets"), error: refusedLive },
  { args: ["verify"], env: perAccount(`https://me:${PASSWORD}@paper-api.alpaca.markets`), error: /ALPACA_COUNCIL_BASE_URL: must not contain user:password@/ },
  { args: ["verify"], home: "fresh", env: perAccount("ftp://127.0.0.1"), error: /ALPACA_COUNCIL_BASE_URL: must start with http:\/\/ or https:\/\/$/ },
  { args: ["run", "daily", "--at", "15:45"], home: "fresh", env: perAccount(), error: /^error: --at simulates the moment of a run on the local exchange; COUNCIL trades on Alpaca, whose clock is real$/ },
  { args: ["run", "daily"], env: { PAPER_ALPACA_KEY_ID: KEY }, error: /^error: PAPER_ALPACA_\*: DEFAULT_PAPER: PAPER_ALPACA_SECRET_KEY is not set$/ },
  { args: ["verify"], home: "fresh", env: { PAPER_ALPACA_KEY_ID: KEY, PAPER_ALPACA_SECRET_KEY: " " }, error: /^error: PAPER_ALPACA_SECRET_KEY is set but blank/ },
  { args: ["run", "daily"], env: { COUNCIL_ALLOW_LIVE: "yes" }, error: /^error: COUNCIL_ALLOW_LIVE: expected I_UNDERSTAND_REAL_MONEY \(or unset\)/ },

  // market data
  { args: ["run", "daily"], env: { COUNCIL_DATA: "yahoo" }, error: /^error: COUNCIL_DATA must be one of local, alpaca, polygon \(got "yahoo"\)$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_DATA: "  " }, error: /^error: COUNCIL_DATA is set but blank/ },
  { args: ["run", "daily"], env: { COUNCIL_DATA: "alpaca" }, error: /^error: ALPACA_PERSONAL_KEY_ID is not set \(COUNCIL_DATA=alpaca needs it\)$/ },
  { args: ["accounts"], home: "fresh", env: { COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: KEY }, error: /ALPACA_PERSONAL_SECRET_KEY is not set/ },
  { args: ["run", "daily"], env: { COUNCIL_DATA: "polygon" }, error: /^error: POLYGON_API_KEY is not set/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_DATA: "polygon", POLYGON_API_KEY: SECRET, COUNCIL_DATA_URL: `ftp://me:${PASSWORD}@proxy` }, error: /^error: COUNCIL_DATA_URL is not an http\(s\) URL$/ },
  { args: ["run", "daily"], env: { COUNCIL_DATA: "polygon", POLYGON_API_KEY: SECRET, COUNCIL_DATA_URL: " " }, error: /^error: COUNCIL_DATA_URL is set but blank/ },
  { args: ["run", "daily"], env: { COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: KEY, ALPACA_PERSONAL_SECRET_KEY: SECRET, COUNCIL_DATA_URL: "https://API.alpaca.markets./" }, error: /^error: COUNCIL_DATA_URL points at an Alpaca trading host \(api\.alpaca\.markets\); market data comes from data\.alpaca\.markets/ },
  // the data keys would cross the network in clear text
  { args: ["run", "daily"], env: { COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: KEY, ALPACA_PERSONAL_SECRET_KEY: SECRET, COUNCIL_DATA_URL: "http://DATA.alpaca.markets/" }, error: /^error: COUNCIL_DATA_URL is Alpaca's host \(data\.alpaca\.markets\) over plain http: its keys would cross the network in clear text; use https:\/\/$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_BARS_DIR: "/nonexistent/bars" }, error: /^error: COUNCIL_BARS_DIR: cannot read the bars directory \/nonexistent\/bars: no such directory \(ENOENT\)$/ },
  { args: () => ["run", "daily"], home: "fresh", env: () => ({ COUNCIL_BARS_DIR: file("not-json.txt") }), error: /^error: COUNCIL_BARS_DIR: cannot read the bars directory .*not-json\.txt: not a directory \(ENOTDIR\)$/ },
  { args: ["exchange", "serve"], env: { COUNCIL_BARS_DIR: "/nonexistent/bars" }, error: /^error: COUNCIL_BARS_DIR: / },

  // local exchange fill model
  { args: ["accounts"], env: { COUNCIL_SLIPPAGE_BPS: "abc" }, error: /^error: COUNCIL_SLIPPAGE_BPS: expected a number ≥ 0, got "abc"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_SLIPPAGE_BPS: "-3" }, error: /^error: COUNCIL_SLIPPAGE_BPS: expected a number ≥ 0/ },
  { args: ["runs"], env: { COUNCIL_SLIPPAGE_BPS: "  " }, error: /^error: COUNCIL_SLIPPAGE_BPS: expected a number ≥ 0/ },
  { args: ["accounts"], env: { COUNCIL_SLIPPAGE_BPS: "0x10" }, error: /^error: COUNCIL_SLIPPAGE_BPS: expected a number ≥ 0, got "0x10"$/ },
  { args: ["accounts"], env: { COUNCIL_COMMISSION_MIN: "1e3" }, error: /^error: COUNCIL_COMMISSION_MIN: expected a number ≥ 0, got "1e3"$/ },
  { args: ["orders"], home: "fresh", env: { COUNCIL_COMMISSION_PER_SHARE: "x" }, error: /^error: COUNCIL_COMMISSION_PER_SHARE: expected a number ≥ 0, got "x"$/ },
  { args: ["orders"], home: "fresh", env: { COUNCIL_PARTIAL_FILL_PCT: "0" }, error: /^error: COUNCIL_PARTIAL_FILL_PCT: expected a percentage above 0 and at most 100, got "0"$/ },
  { args: ["backtest", "--from", "2024-01-02", "--to", "2024-01-05"], home: "fresh", env: { COUNCIL_PARTIAL_FILL_PCT: "40%" }, error: /^error: COUNCIL_PARTIAL_FILL_PCT: expected a percentage above 0 and at most 100, got "40%"$/ },
  { args: ["exchange", "keys"], env: { COUNCIL_COMMISSION_MIN: "-1" }, error: /^error: COUNCIL_COMMISSION_MIN: expected a number ≥ 0/ },
  { args: ["exchange", "serve", "--port", "0"], home: "fresh", env: { COUNCIL_COMMISSION_MIN: "NaN" }, error: /^error: COUNCIL_COMMISSION_MIN: / },

  // notifications
  { args: ["run", "daily"], home: "fresh", env: { SLACK_WEBHOOK_URL: `http://hooks.slack.com/services/T0/B0/${PASSWORD}` }, error: /^error: SLACK_WEBHOOK_URL must be an https URL \(http only for 127\.0\.0\.1\/localhost\); its host is hooks\.slack\.com$/ },
  { args: ["runs"], env: { SLACK_WEBHOOK_URL: `hooks.slack.com/services/${PASSWORD}` }, error: /^error: SLACK_WEBHOOK_URL is not a URL/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1"], home: "fresh", env: { SLACK_WEBHOOK_URL: "  " }, error: /^error: SLACK_WEBHOOK_URL is set but blank/ },
  { args: ["run", "daily"], env: { SLACK_WEBHOOK_URL: "https://hooks.slack.com/" }, error: /^error: SLACK_WEBHOOK_URL has no path/ },

  // where the data lives
  { args: ["runs"], home: "env", env: () => ({ COUNCIL_HOME: file("not-json.txt") }), error: /^error: COUNCIL_HOME: \S+not-json\.txt is not a directory$/ },
  { args: ["run", "daily"], home: "env", env: () => ({ COUNCIL_HOME: join(file("not-json.txt"), "below") }), error: /^error: COUNCIL_HOME: \S+not-json\.txt is not a directory$/ },
  { args: ["run", "daily"], home: "env", env: { COUNCIL_HOME: "~/council-bad-input" }, error: /^error: COUNCIL_HOME: starts with "~", which only a shell expands/ },
  { args: ["accounts"], home: "env", env: { COUNCIL_HOME: "   " }, error: /^error: COUNCIL_HOME: is set but blank/ },
  { args: ["run", "daily"], home: "env", env: { COUNCIL_HOME: "/proc/1/council" }, error: /^error: COUNCIL_HOME: cannot create \/proc\/1\/council: E[A-Z]+$/ },
  { args: ["exchange", "keys"], home: "env", env: { COUNCIL_HOME: "/proc/1/council" }, error: /^error: COUNCIL_HOME: cannot create \/proc\/1\/council/ },
  { args: ["runs"], home: "fresh", env: { DATABASE_URL: "garbage" }, error: /^error: DATABASE_URL: expected postgres:\/\/user\[:password\]@host\[:port\]\/database$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "-5" }, error: /^error: COUNCIL_SQLITE_BUSY_TIMEOUT_MS: expected a whole number of milliseconds, 0 or more, got "-5"$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "5s" }, error: /^error: COUNCIL_SQLITE_BUSY_TIMEOUT_MS: expected a whole number of milliseconds, 0 or more, got "5s"$/ },
  { args: ["runs"], home: "fresh", env: { DATABASE_URL: "postgres://council@127.0.0.1:9/council", COUNCIL_PG_LOCK_TIMEOUT_MS: "0" }, error: /^error: COUNCIL_PG_LOCK_TIMEOUT_MS: expected a whole number of milliseconds, 1 or more, got "0"$/ },
  // a password of digits and an unencoded / parses as host "council", port 123 and a path: shown, it gave the password away
  { args: ["runs"], home: "fresh", env: { DATABASE_URL: `postgres://council:123/${PASSWORD}@127.0.0.1:1/council` }, error: /^error: DATABASE_URL: its user or password holds an unencoded \/, \? or # \(the URL ends its host there\): percent-encode them/ },
  { args: ["run", "daily"], home: "fresh", env: { DATABASE_URL: `postgres://council:4?${PASSWORD}@127.0.0.1:1/council` }, error: /^error: DATABASE_URL: its user or password holds an unencoded \/, \? or #/ },
  { args: () => ["show", runId], env: { DATABASE_URL: " " }, error: /^error: DATABASE_URL: is set but blank/ },
  { args: ["run", "daily"], env: { DATABASE_URL: `mysql://council:${PASSWORD}@127.0.0.1/council` }, error: /^error: DATABASE_URL: expected postgres:/ },
  { args: ["runs"], home: "fresh", env: () => ({ DATABASE_URL: `postgres://council:${PASSWORD}@127.0.0.1:${refusedPort}/council` }), error: /^error: DATABASE_URL: cannot use postgres:\/\/council@127\.0\.0\.1:\d+\/council: ECONNREFUSED$/ },

  // LLMs: every variable checked before anything is opened; no key or base URL echoed
  { args: ["runs"], env: { COUNCIL_LLM: "sometimes" }, error: /^error: COUNCIL_LLM: expected offline or live, got "sometimes"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_LLM: "  " }, error: /^error: COUNCIL_LLM: is set but blank; unset it or give it a value$/ },
  // a key pasted into the wrong variable is refused without being quoted (any secret printed fails every case)
  { args: ["runs"], env: { COUNCIL_LLM: SECRET }, error: /^error: COUNCIL_LLM: expected offline or live, got a value of 36 characters, not shown: it looks like a key$/ },
  { args: ["run", "daily"], env: { COUNCIL_SCHEDULE: KEY }, error: /^error: COUNCIL_SCHEDULE: expected close or after-close, got a value of \d+ characters, not shown: it looks like a key$/ },
  { args: ["run", "daily"], env: { COUNCIL_DATA: SECRET }, error: /^error: COUNCIL_DATA must be one of local, alpaca, polygon \(got a value of 36 characters, not shown: it looks like a key\)$/ },
  { args: ["leaderboard"], home: "fresh", env: { COUNCIL_RISK_FREE: SECRET }, error: /^error: COUNCIL_RISK_FREE: expected a yearly rate as a fraction, e\.g\. 0\.04 for 4 % \(got a value of 36 characters, not shown: it looks like a key\)$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_SQLITE_BUSY_TIMEOUT_MS: SECRET }, error: /^error: COUNCIL_SQLITE_BUSY_TIMEOUT_MS: expected a whole number of milliseconds, 0 or more, got a value of 36 characters, not shown: it looks like a key$/ },
  { args: ["run", "daily"], env: { OPENAI_API_KEY: " \t " }, error: /^error: OPENAI_API_KEY: is set but blank/ },
  { args: ["verify"], home: "fresh", env: { GEMINI_API_KEY: "  " }, error: /^error: GEMINI_API_KEY: is set but blank/ },
  { args: ["run", "daily"], home: "fresh", env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: CHATGPT: OPENAI_API_KEY is not set \(COUNCIL_MODEL_CHATGPT=openai:gpt-5\.4; set the key, leave CHATGPT out with --pms, or COUNCIL_MODEL_CHATGPT=offline\)$/ },
  { args: ["run", "daily", "--dry-run"], env: { GROQ_API_KEY: SECRET, DEEPSEEK_API_KEY: SECRET, COUNCIL_MODEL_CHATGPT: "offline", COUNCIL_MODEL_GEMINI: "offline", COUNCIL_MODEL_CLAUDE: "offline" }, error: /^error: CHAIRMAN: ANTHROPIC_API_KEY is not set .*COUNCIL_CHAIRMAN_MODEL=offline for the mechanical vote\)$/ },
  { args: ["run", "daily", "--pms", "CLAUDE"], home: "fresh", env: { ANTHROPIC_API_KEY: SECRET, COUNCIL_MODEL_CLAUDE: "anthropic:claude-99" }, error: /^error: CLAUDE: anthropic:claude-99 has no price in \S+llm-prices\.json; add it there \(or in a file named by COUNCIL_PRICES\)/ },
  // a reasoning effort Anthropic's Messages API does not take (it would answer 400 to every call)
  { args: ["run", "daily", "--pms", "CLAUDE"], home: "fresh", env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: "http://127.0.0.1:9", COUNCIL_REASONING_EFFORT: "minimal" }, error: /^error: CLAUDE: anthropic:claude-sonnet-4-6: reasoning effort minimal is not one anthropic takes \(low, medium, high, xhigh, max\); set COUNCIL_REASONING_EFFORT_CLAUDE to one of them, or to omit$/ },
  { args: ["run", "daily", "--pms", "CLAUDE"], home: "fresh", env: { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: "http://127.0.0.1:9", COUNCIL_REASONING_EFFORT_CHAIRMAN: "none" }, error: /^error: CHAIRMAN: anthropic:claude-sonnet-4-6: reasoning effort none is not one anthropic takes .*COUNCIL_REASONING_EFFORT_CHAIRMAN to one of them, or to omit$/ },
  { args: ["run", "daily"], env: { GROQ_API_KEY: SECRET, COUNCIL_LLM: "offline", COUNCIL_LLM_BUDGET_USD: "abc" }, error: /^error: COUNCIL_LLM_BUDGET_USD: expected a number > 0, got "abc"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_LLM_BUDGET_USD: "0" }, error: /^error: COUNCIL_LLM_BUDGET_USD: expected a number > 0, got "0"$/ },
  { args: ["accounts"], env: { COUNCIL_LLM_BUDGET_USD_MONTH: "-5" }, error: /^error: COUNCIL_LLM_BUDGET_USD_MONTH: expected a number > 0, got "-5"$/ },
  { args: ["run", "daily"], env: { COUNCIL_MODEL_CLAUDE: "mistral:large" }, error: /^error: COUNCIL_MODEL_CLAUDE: unknown provider "mistral" \(expected one of openai, gemini, anthropic, groq, deepseek, or offline\)$/ },
  { args: ["show", "no-such-run"], home: "fresh", env: { COUNCIL_CHAIRMAN_MODEL: "anthropic:" }, error: /^error: COUNCIL_CHAIRMAN_MODEL: expected provider:model-id$/ },
  { args: ["export", "no-such-run"], env: { COUNCIL_MODEL_GROQ: "   " }, error: /^error: COUNCIL_MODEL_GROQ: is set but blank/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_MAX_OUTPUT_TOKENS: "0" }, error: /^error: COUNCIL_MAX_OUTPUT_TOKENS: expected a whole number ≥ 1, got "0"$/ },
  { args: ["run", "daily"], env: { COUNCIL_MAX_OUTPUT_TOKENS_CHAIRMAN: "1.5" }, error: /^error: COUNCIL_MAX_OUTPUT_TOKENS_CHAIRMAN: expected a whole number ≥ 1, got "1.5"$/ },
  { args: ["orders"], home: "fresh", env: { COUNCIL_REASONING_EFFORT: "extreme" }, error: /^error: COUNCIL_REASONING_EFFORT: expected none, minimal, low, medium, high, xhigh, max or omit, got "extreme"$/ },
  { args: ["run", "daily"], env: { COUNCIL_REASONING_EFFORT_CLAUDE: "maximum" }, error: /^error: COUNCIL_REASONING_EFFORT_CLAUDE: expected none, minimal, low, medium, high, xhigh, max or omit, got "maximum"$/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_LLM_TIMEOUT_SECONDS: "-1" }, error: /^error: COUNCIL_LLM_TIMEOUT_SECONDS: expected a number > 0, got "-1"$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_PRICES: "/nonexistent/prices.json" }, error: /^error: COUNCIL_PRICES: cannot read the price table \/nonexistent\/prices\.json: no such file \(ENOENT\)$/ },
  { args: ["runs"], home: "fresh", env: () => ({ COUNCIL_PRICES: root }), error: /^error: COUNCIL_PRICES: cannot read the price table \S+: a directory, not a file \(EISDIR\)$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_PRICES: '{"models":{}}' }, error: /^error: COUNCIL_PRICES: expected the path of a price table file, got what looks like JSON: write the table to a file and name that$/ },
  { args: () => ["run", "daily", "--dry-run"], env: () => ({ COUNCIL_PRICES: file("not-json.txt") }), error: /^error: COUNCIL_PRICES: \S+not-json\.txt is not a price table: not valid JSON$/ },
  { args: ["run", "daily"], env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: `https://proxy:${PASSWORD}@127.0.0.1:9/v1` }, error: /^error: OPENAI_BASE_URL: must not contain user:password@ \(the key goes in its own variable\)$/ },
  { args: ["verify"], home: "fresh", env: { ANTHROPIC_BASE_URL: `http://me:${PASSWORD}@127.0.0.1:9` }, error: /^error: ANTHROPIC_BASE_URL: must not contain user:password@/ },
  { args: ["run", "daily"], env: { GEMINI_BASE_URL: "ftp://127.0.0.1/gemini" }, error: /^error: GEMINI_BASE_URL: must start with http:\/\/ or https:\/\/$/ },
  { args: ["runs"], home: "fresh", env: { GROQ_BASE_URL: "groq.local" }, error: /^error: GROQ_BASE_URL: is not a URL/ },
  { args: ["run", "daily"], env: { DEEPSEEK_BASE_URL: `http://127.0.0.1:9/?key=${PASSWORD}` }, error: /^error: DEEPSEEK_BASE_URL: must not have a query or fragment$/ },
  { args: ["run", "daily"], home: "fresh", env: { DEEPSEEK_BASE_URL: " " }, error: /^error: DEEPSEEK_BASE_URL: is set but blank/ },

  // --pms, --model, show --llm/--pm
  { args: ["run", "daily", "--pms", ""], home: "fresh", error: /^error: --pms: no PM named \(the PMs are CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK\)$/ },
  { args: ["run", "daily", "--pms", ",,"], error: /^error: --pms: no PM named/ },
  { args: ["run", "daily", "--pms", "CLAUDE,NOPE"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: --pms: unknown PM NOPE \(the PMs are CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK\)$/ },
  { args: ["run", "daily", "--pms", "CLAUDE,GROQ"], home: "fresh", error: /^error: --pms selects which PMs ask their LLM, but COUNCIL_LLM is offline \(no provider key is set: set CLAUDE's ANTHROPIC_API_KEY, GROQ's GROQ_API_KEY\)$/ },
  { args: ["run", "daily", "--pms", "CLAUDE"], home: "fresh", env: { ANTHROPIC_API_KEY: SECRET, COUNCIL_LLM: "offline" }, error: /^error: --pms selects which PMs ask their LLM, but COUNCIL_LLM is offline \(unset it, or set it to live\)$/ },
  { args: ["run", "daily", "--pms", "CLAUDE", "--accounts", "NOPE"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: --accounts: unknown account NOPE/ },
  { args: () => ["replay", runId, "--model", "CLAUDE=anthropic:claude-opus-4-7"], error: /^error: --model only applies with --from \(a plain replay asks no model\)$/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "CLAUDE"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: --model CLAUDE: expected ROLE=provider:model-id with ROLE one of CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, CHAIRMAN$/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "NOPE=openai:gpt-5.4"], error: /^error: --model NOPE=openai:gpt-5\.4: expected ROLE=provider:model-id/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "CLAUDE=mistral:large"], error: /^error: --model CLAUDE=mistral:large: unknown provider "mistral"/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "CLAUDE=anthropic:claude-opus-4-7"], error: /^error: --model CLAUDE=anthropic:claude-opus-4-7: ANTHROPIC_API_KEY is not set \(the swapped model is asked live\)$/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "CLAUDE=anthropic:claude-99"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: CLAUDE: anthropic:claude-99 has no price in / },
  { args: () => ["replay", runId, "--from", "RiskApproval", "--model", "CLAUDE=anthropic:claude-opus-4-7"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: --model CLAUDE: its answers are made in PeerReview or earlier; fork --from PeerReview or an earlier stage$/ },
  { args: () => ["replay", runId, "--from", "PmPitches", "--model", "CHAIRMAN=anthropic:claude-opus-4-7", "--dry-run", "--send"], env: { ANTHROPIC_API_KEY: SECRET }, error: /^error: --dry-run and --send contradict each other$/ },
  { args: () => ["replay", file("bundle.json"), "--from", "PmPitches", "--model", "CLAUDE=anthropic:claude-opus-4-7", "--send"], home: "fresh", env: { ...perAccount(LIVE_HOST), ANTHROPIC_API_KEY: SECRET }, error: refusedLive },
  { args: () => ["show", runId, "--pm", "CLAUDE"], error: /^error: --pm only applies with --llm/ },
  { args: () => ["show", runId, "--llm", "--pm", "NOPE"], error: /^error: --pm NOPE: not a council role \(the roles are CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, CHAIRMAN\)$/ },
  { args: () => ["show", runId, "--llm", "--pm", ""], error: /^error: --pm '': not a council role/ },
  { args: () => ["show", runId, "--llm", "--json", "--full"], error: /^error: --full only applies to show --json without --llm/ },
  { args: ["show", "no-such-run", "--llm"], home: "fresh", error: /^error: no run with id no-such-run/ },

  // leaderboard, equity, backtests, serve
  { args: ["leaderboard", "--from", "2024-13-45"], home: "fresh", error: /^error: --from 2024-13-45: 2024-13-45 is not a calendar date$/ },
  { args: ["leaderboard", "--to", "2024-02-30"], error: /^error: --to 2024-02-30: 2024-02-30 is not a calendar date$/ },
  { args: ["leaderboard", "--from", "2024-02-01", "--to", "2024-01-02"], error: /^error: --from 2024-02-01 is after --to 2024-01-02$/ },
  { args: ["leaderboard", "--backtest", "nope"], home: "fresh", error: /^error: --backtest: no backtest "nope" \(list them with: pnpm pipeline backtests\)$/ },
  { args: ["leaderboard", "--backtest", "nope", "--json"], home: "fresh", error: /^error: --backtest: no backtest "nope" \(list them with: pnpm pipeline backtests\)$/ },
  { args: ["leaderboard", "--backtest", "latest"], error: /^error: --backtest: there is no backtest yet/ },
  { args: ["leaderboard", "--backtest", " "], home: "fresh", error: /^error: --backtest: give a backtest id, latest, or live/ },
  { args: ["leaderboard", "--csv"], error: /^error: Unrecognized flag: --csv/ },
  { args: ["equity", "--account", "not an account"], home: "fresh", error: /^error: --account: "not an account" is not an account name$/ },
  { args: ["equity", "--account", "COUNCII"], error: /^error: --account: no account COUNCII in book live \(its accounts: CHATGPT, CLAUDE, COUNCIL, DEEPSEEK, GEMINI, GROQ\)$/ },
  { args: ["equity", "--account", "NOPE", "--csv"], home: "fresh", error: /^error: --account: no account NOPE in book live \(its accounts: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, COUNCIL\)$/ },
  { args: ["equity", "--to", "yesterday"], error: /^error: --to: expected a date YYYY-MM-DD, got "yesterday"$/ },
  { args: ["equity", "--from", "2025-06-02", "--to", "2025-01-02", "--csv"], home: "fresh", error: /^error: --from 2025-06-02 is after --to 2025-01-02$/ },
  { args: ["equity", "--backtest", "bt-missing", "--csv"], error: /^error: --backtest: no backtest "bt-missing"/ },
  { args: ["equity", "--backtest", "latest"], home: "fresh", error: /^error: --backtest: there is no backtest yet/ },
  { args: ["backtests", "--bogus"], error: /^error: Unrecognized flag: --bogus/ },
  { args: ["backtest"], home: "fresh", error: /^error: --from: required \(a date YYYY-MM-DD\), or give --resume <id>$/ },
  { args: ["backtest", "--from", "2024-01-02"], home: "fresh", error: /^error: --to: required/ },
  { args: ["backtest", "--from", "2024-02-30", "--to", "2024-03-01"], home: "fresh", error: /^error: --from 2024-02-30: 2024-02-30 is not a calendar date$/ },
  { args: ["backtest", "--from", "2026-13-01", "--to", "2026-06-01"], home: "fresh", error: /^error: --from 2026-13-01: 2026-13-01 is not a calendar date$/ },
  { args: ["backtest", "--from", "2024-03-01", "--to", "2024-01-02"], home: "fresh", error: /^error: --from 2024-03-01 is after --to 2024-01-02$/ },
  { args: ["backtest", "--from", "2031-01-02", "--to", "2031-03-01"], home: "fresh", error: /^error: --from 2031-01-02 --to 2031-03-01: no trading session in the data in that range$/ },
  { args: ["backtest", "--from", "2024-01-02", "--to", "2024-01-31", "--pms", "gpt"], home: "fresh", error: /^error: --pms: expected offline, replay or live, got "gpt"$/ },
  { args: ["backtest", "--from", "2024-01-02", "--to", "2024-01-31", "--accounts", "COUNCIL,NOPE"], home: "fresh", error: /^error: --accounts: .*unknown account NOPE/ },
  { args: ["backtest", "--from", "2024-01-02", "--to", "2024-01-31", "--pms", "live"], home: "fresh", error: /^error: --pms live: no LLM is configured/ },
  { args: ["backtest", "--from", "2024-01-02", "--to", "2024-01-31", "--pms", "replay"], home: "fresh", error: /^error: --pms replay: no run with LLM answers recorded between 2024-01-02 and 2024-01-31/ },
  { args: ["backtest", "--resume", "bt-nope"], home: "fresh", error: /^error: --resume: no backtest "bt-nope" \(list them with: pnpm pipeline backtests\)$/ },
  { args: ["backtest", "--resume", "bt-nope", "--from", "2024-01-02"], home: "fresh", error: /^error: --resume: continues the backtest as it was started; drop --from$/ },
  { args: ["backtests", "latest"], home: "fresh", error: /^error: .*latest/ },
  { args: ["serve", "--port", "70000"], home: "fresh", error: /^error: --port must be 0–65535$/ },
  { args: ["serve", "--port", "-1"], error: /^error: --port must be 0–65535$/ },
  { args: ["serve", "--port", "http"], home: "fresh", error: /^error: .*port/i },
  { args: ["serve", "--host", ""], home: "fresh", error: /^error: --host must name an interface/ },
  // trusting every address lets any client write its own X-Forwarded-For: a new client at each wrong token
  { args: ["serve", "--trust-proxy", "0.0.0.0/0", "--port", "0"], error: /^error: --trust-proxy: 0\.0\.0\.0\/0 trusts every address, so any client could say who it is and escape the failed-token throttle; give the proxy's own address \(e\.g\. 127\.0\.0\.1\)$/ },
  { args: ["serve", "--trust-proxy", "::/0", "--port", "0"], home: "fresh", error: /^error: --trust-proxy: ::\/0 trusts every address/ },
  { args: ["serve", "--trust-proxy", "proxy.lan", "--port", "0"], home: "fresh", error: /^error: --trust-proxy: "proxy\.lan" is not an IP address or network/ },
  { args: ["serve", "--host", "256.1.1.1", "--port", "0"], error: /^error: --host\/--port: cannot listen on 256\.1\.1\.1:0: E[A-Z_]+( — --host is not an address of this machine: give one of its own, 127\.0\.0\.1 or 0\.0\.0\.0)?$/ },
  { args: () => ["serve", "--port", String(takenPort)], home: "fresh", error: /^error: --host\/--port: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE — the port is in use \(a server already running\?\): give another --port, or --port 0 for any free one$/ },

  // the monitor's variables: every command checks them before anything is opened; no token or password echoed
  { args: ["leaderboard"], home: "fresh", env: { COUNCIL_RISK_FREE: "4%" }, error: /^error: COUNCIL_RISK_FREE: expected a yearly rate as a fraction, e\.g\. 0\.04 for 4 % \(got "4%"\)$/ },
  { args: ["runs"], env: { COUNCIL_RISK_FREE: "4" }, error: /^error: COUNCIL_RISK_FREE: expected a yearly rate as a fraction/ },
  { args: ["run", "daily"], home: "fresh", env: { COUNCIL_RISK_FREE: "NaN" }, error: /^error: COUNCIL_RISK_FREE: / },
  // a percent typed as a fraction: 0.5 meant 0.5 %, read as 50 % it would sink every Sharpe without a word
  { args: ["leaderboard", "--json"], home: "fresh", env: { COUNCIL_RISK_FREE: "0.5" }, error: /^error: COUNCIL_RISK_FREE: 0\.5 would be a yearly rate of 50 %; expected a fraction under 0\.2 either way \(0\.005 for 0\.5 %\)$/ },
  { args: ["runs"], home: "fresh", env: { COUNCIL_RISK_FREE: "-0.25" }, error: /^error: COUNCIL_RISK_FREE: -0\.25 would be a yearly rate of -25 %; expected a fraction under 0\.2 either way \(-0\.0025 for -0\.25 %\)$/ },
  { args: ["serve", "--port", "0"], home: "fresh", env: { COUNCIL_API_TOKEN: "hunter2-Pa55" }, error: /^error: COUNCIL_API_TOKEN: expected at least 16 characters without surrounding spaces/ },
  { args: ["accounts"], env: { COUNCIL_API_TOKEN: ` ${SECRET} ` }, error: /^error: COUNCIL_API_TOKEN: expected at least 16 characters without surrounding spaces/ },
  { args: ["run", "daily", "--dry-run"], home: "fresh", env: { COUNCIL_API_TOKEN: "short" }, error: /^error: COUNCIL_API_TOKEN: / },
  { args: ["runs"], home: "fresh", env: { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, error: /^error: OTEL_EXPORTER_OTLP_ENDPOINT: expected an OTLP\/HTTP base URL/ },
  { args: () => ["show", runId], env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://otel:${PASSWORD}@127.0.0.1:4318` }, error: /^error: OTEL_EXPORTER_OTLP_ENDPOINT: must not carry user:password@/ },
  { args: ["run", "daily"], home: "fresh", env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:4318/?api-key=${SECRET}` }, error: /^error: OTEL_EXPORTER_OTLP_ENDPOINT: expected an OTLP\/HTTP base URL/ },
  { args: ["serve"], env: { OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://127.0.0.1:4318" }, error: /^error: OTEL_EXPORTER_OTLP_ENDPOINT: / },
  { args: ["runs"], env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_TIMEOUT: "3s" }, error: /^error: OTEL_EXPORTER_OTLP_TIMEOUT: expected a whole number of milliseconds, 1 or more, got "3s"$/ },
  { args: ["runs"], env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "0" }, error: /^error: OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: expected a whole number of milliseconds, 1 or more, got "0"$/ },

  // a broker that refuses the keys: exit 1, a ✗ per account, nothing written
  { args: ["verify"], home: "fresh", env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ baseUrl: unauthorized }) }), code: 1, stdoutLines: 2, error: /^error: 1 of 1 accounts failed: COUNCIL$/ },
  { args: ["accounts"], env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ baseUrl: unauthorized }) }), code: 1, stdoutLines: 3, error: /^error: 1 of 1 accounts failed: COUNCIL$/ },
  { args: ["positions", "--account", "council"], home: "fresh", env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ baseUrl: unauthorized }) }), code: 1, stdoutLines: 3, error: /accounts failed: COUNCIL$/ },
  // a dry-run account is read-only: the safety broker refuses before any request (exit 1), nothing written
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1"], home: "fresh", env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ baseUrl: unauthorized, settings: { dryRun: true } }) }), code: 1, noRequests: true, error: /^error: COUNCIL: buy 1 SPY market day not placed: refused by the safety broker: COUNCIL is a dry-run account: nothing is sent to its broker/ },
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "sell", "--qty", "2", "--json"], home: "fresh", env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ baseUrl: unauthorized, settings: { dryRun: true } }) }), code: 1, noRequests: true, error: /^error: COUNCIL: sell 2 SPY market day not placed: refused by the safety broker: COUNCIL is a dry-run account/ },
  // a symbol without a price: the safety broker cannot check a market order, and says how to give it one
  { args: ["order", "--account", "COUNCIL", "--symbol", "NOPE", "--side", "buy", "--qty", "1"], code: 1, error: /^error: COUNCIL: buy 1 NOPE market day not placed: refused by the safety broker: no reference price for NOPE: an order that adds risk cannot be checked \(no-price\); an order with a limit price is checked at it \(--type limit or stop_limit, --limit-price P\)$/ },
  // a LIVE account is a dry run unless it says "dryRun": false
  { args: ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1"], env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ mode: "LIVE", liveConfirmed: true, baseUrl: unauthorized }), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }), code: 1, noRequests: true, error: /refused by the safety broker: COUNCIL is a dry-run account: nothing is sent to its broker \(buy 1 SPY\); set "dryRun": false to trade it \(dry-run\)$/ },
  { args: ["cancel-all", "--yes"], home: "fresh", env: () => ({ TRADING_ACCOUNTS_CONFIG: account({ mode: "LIVE", liveConfirmed: true, baseUrl: unauthorized }), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }), code: 1, noRequests: true, stdoutLines: 3, error: /^error: 1 of 1 accounts failed: COUNCIL$/ }
]

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "")

describe("every bad input: one clear line, the right exit code, nothing written, no secret, no connection to Alpaca", () => {
  beforeAll(async () => {
    const day = await cliInProcess(populated, ["run", "daily"])
    assert.strictEqual(day.code, 0, day.stderr)
    runId = runIdOf(day.stdout)
    assert.strictEqual((await cliInProcess(populated, ["export", runId, "-o", file("bundle.json")])).code, 0)
    const sealed = JSON.parse(readFileSync(file("bundle.json"), "utf8")) as BundleFile.BundleFile
    const tampered = {
      ...sealed,
      checkpoints: sealed.checkpoints.map((c) => c.stage === "CouncilSynthesis" ? { ...c, output: { ...(c.output as object), rationale: "edited" } } : c)
    }
    writeFileSync(file("tampered.json"), JSON.stringify(tampered))
    writeFileSync(file("v1.json"), JSON.stringify({ format: "council-run-bundle/1", run: sealed.run, checkpoints: sealed.checkpoints, recordings: sealed.recordings }))
    const orphanId = "2026-06-08-0rphan00"
    const orphan: RunBundle = {
      run: { ...sealed.run, id: orphanId as RunBundle["run"]["id"], parentRunId: "2026-06-05-deadbeef" as RunBundle["run"]["id"], forkFrom: "Execution" },
      checkpoints: sealed.checkpoints.map((c) => ({ ...c, runId: orphanId as RunBundle["run"]["id"] })),
      recordings: sealed.recordings.map((r) => ({ ...r, runId: orphanId as RunBundle["run"]["id"] }))
    }
    writeFileSync(file("orphan.json"), JSON.stringify(BundleFile.seal(orphan)))
    const renamed = (id: string, parent: string | null = null): RunBundle => ({
      run: { ...sealed.run, id: id as RunBundle["run"]["id"], parentRunId: parent as RunBundle["run"]["id"] | null, forkFrom: parent === null ? null : "Execution" },
      checkpoints: sealed.checkpoints.map((c) => ({ ...c, runId: id as RunBundle["run"]["id"] })),
      recordings: sealed.recordings.map((r) => ({ ...r, runId: id as RunBundle["run"]["id"] }))
    })
    writeFileSync(file("markup-id.json"), JSON.stringify(BundleFile.seal(renamed(`2026-06-08-"><img src=x onerror=alert(1)>\u001b]0;owned\u0007`))))
    writeFileSync(file("long-id.json"), JSON.stringify(BundleFile.seal(renamed(`2026-06-08-${"a".repeat(200)}`))))
    writeFileSync(file("dotted-parent.json"), JSON.stringify(BundleFile.seal(renamed("2026-06-08-0rphan01", "../../2026-06-05-deadbeef"))))
    // 100,000 levels: every recursive reader overflowed its stack on it ("internal error", exit 1)
    const text = readFileSync(file("bundle.json"), "utf8")
    writeFileSync(file("deep.json"), text.replace('"recordings":[', `"recordings":[{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)}},`))
    // sparse: no disk, and never read (its size says enough)
    writeFileSync(file("huge.json"), "")
    truncateSync(file("huge.json"), 300 * 1024 * 1024)
    writeFileSync(file("not-json.txt"), `secretKey=${SECRET}\n`)
    mkdirSync(join(root, "empty-dir"))
    const http = testServer((_req, res) => {
      res.statusCode = 401
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ code: 40110000, message: "request is not authorized" }))
    })
    await new Promise<void>((done) => http.listen(0, "127.0.0.1", done))
    unauthorized = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    const taken = createTcpServer()
    await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done))
    takenPort = (taken.address() as AddressInfo).port
    refusedPort = await refusingPort()
    servers = [http, taken]
  }, 60_000)

  afterAll(() => servers.forEach((s) => s.close()))

  it("has at least 80 inputs across every command and every environment variable", () => {
    assert.isAtLeast(table.length, 80)
    const commands = new Set(table.map((c) => {
      const args = typeof c.args === "function" ? c.args() : c.args
      return args[0] === "exchange" ? `exchange ${args[1]}` : args[0]
    }))
    for (const command of ["run", "approve", "replay", "runs", "show", "export", "import", "accounts", "positions", "orders", "order", "cancel-all", "close-all", "verify", "graph", "exchange serve", "exchange keys", "leaderboard", "equity", "backtests", "backtest", "serve"]) {
      assert.isTrue(commands.has(command), command)
    }
    const variables = new Set(table.flatMap((c) => Object.keys(typeof c.env === "function" ? { COUNCIL_HOME: "", TRADING_ACCOUNTS_CONFIG: "" } : c.env ?? {})))
    for (const variable of [
      "TRADING_ACCOUNTS_CONFIG", "COUNCIL_ACCOUNTS", "ALPACA_COUNCIL_KEY_ID", "ALPACA_COUNCIL_SECRET_KEY", "ALPACA_COUNCIL_BASE_URL",
      "PAPER_ALPACA_KEY_ID", "PAPER_ALPACA_SECRET_KEY", "COUNCIL_ALLOW_LIVE", "COUNCIL_DATA", "COUNCIL_DATA_URL", "COUNCIL_BARS_DIR",
      "ALPACA_PERSONAL_KEY_ID", "POLYGON_API_KEY", "COUNCIL_SLIPPAGE_BPS", "COUNCIL_COMMISSION_PER_SHARE", "COUNCIL_COMMISSION_MIN",
      "COUNCIL_HOME", "DATABASE_URL", "COUNCIL_SQLITE_BUSY_TIMEOUT_MS", "COUNCIL_PG_LOCK_TIMEOUT_MS", "COUNCIL_LOCK_TTL_SECONDS", "COUNCIL_SCHEDULE", "COUNCIL_BARS_CACHE",
      "COUNCIL_PARTIAL_FILL_PCT", "COUNCIL_RISK_FREE", "COUNCIL_API_TOKEN", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TIMEOUT",
      "COUNCIL_LLM", "OPENAI_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "DEEPSEEK_API_KEY",
      "OPENAI_BASE_URL", "GEMINI_BASE_URL", "ANTHROPIC_BASE_URL", "GROQ_BASE_URL", "DEEPSEEK_BASE_URL",
      "COUNCIL_MODEL_CLAUDE", "COUNCIL_MODEL_GROQ", "COUNCIL_CHAIRMAN_MODEL", "COUNCIL_MAX_OUTPUT_TOKENS",
      "COUNCIL_MAX_OUTPUT_TOKENS_CHAIRMAN", "COUNCIL_REASONING_EFFORT", "COUNCIL_REASONING_EFFORT_CLAUDE",
      "COUNCIL_LLM_TIMEOUT_SECONDS", "COUNCIL_PRICES", "COUNCIL_LLM_BUDGET_USD", "COUNCIL_LLM_BUDGET_USD_MONTH", "SLACK_WEBHOOK_URL"
    ]) assert.isTrue(variables.has(variable), variable)
  })

  it("refuses each one", async () => {
    const tildeDir = resolve("~")
    const tildeBefore = existsSync(tildeDir)
    const populatedBefore = fingerprint(populated)
    const failures: Array<string> = []
    for (const [i, input] of table.entries()) {
      const args = typeof input.args === "function" ? input.args() : input.args
      const env = typeof input.env === "function" ? input.env() : input.env ?? {}
      const where = input.home ?? "populated"
      const home = where === "fresh" ? freshHome() : where === "populated" ? populated : undefined
      const label = `#${i} ${args.join(" ")} ${JSON.stringify(env)}`
      const calls = fetched.length
      const r = await cliInProcess(home, args, env)
      const code = input.code ?? 2
      const problems = [
        r.code === code ? "" : `exit ${r.code}, expected ${code}`,
        jsonRequested(args) && input.stdoutLines === undefined
          ? jsonFailureProblem(r, code)
          : lines(r.stdout).length === (input.stdoutLines ?? 0) ? "" : `${lines(r.stdout).length} lines on stdout`,
        lines(r.stderr).length === 1 ? "" : `${lines(r.stderr).length} lines on stderr`,
        input.error.test(r.stderr.trim()) ? "" : `stderr does not match ${input.error}`,
        /\n\s+at\s.+:\d+:\d+|internal error|SchemaError\(|ConfigError\(/.test(r.stderr + r.stdout) ? "a stack trace or raw error" : "",
        // a schema's own text (`Expected "offline" | "live"`, `Expected string`) is not a sentence for a user
        /\bExpected [A-Z"a-z]|" \| "/.test(r.stderr) ? "a schema's text" : "",
        SECRETS.some((secret) => (r.stderr + r.stdout).includes(secret)) ? "a secret printed" : "",
        (code === 2 || input.noRequests === true) && fetched.length !== calls ? `requests: ${fetched.slice(calls).join(", ")}` : "",
        where === "fresh" && existsSync(home!) ? `left ${home}` : "",
        where === "populated" && fingerprint(populated) !== populatedBefore ? "changed the store" : ""
      ].filter((p) => p !== "")
      if (problems.length > 0) failures.push(`${label}: ${problems.join("; ")}\n  stdout: ${r.stdout.trim()}\n  stderr: ${r.stderr.trim()}`)
    }
    assert.deepStrictEqual(failures, [])
    assert.deepStrictEqual(fetched.slice(fetchedBefore).filter((url) => /alpaca\.markets/i.test(URL.parse(url)?.hostname ?? url)), [])
    assert.strictEqual(existsSync(tildeDir), tildeBefore, `a directory named ~ appeared in ${process.cwd()}`)
    assert.isFalse(existsSync("/proc/1/council"))
    assert.deepStrictEqual(readdirSync(join(root, "empty-dir")), [])
  }, 120_000)
})
