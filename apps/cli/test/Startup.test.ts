import { spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { delimiter, dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { bin, runIdOf, tempHome } from "./CliHarness.ts"

const root = new URL("../../../", import.meta.url).pathname
const probe = new URL("./load-probe.mjs", import.meta.url).pathname

/** What a CLI invocation loaded: module URLs and the bars files (CSV or cached) it read. */
const loaded = (home: string, args: ReadonlyArray<string>) => {
  const out = join(tempHome(), "loaded.json")
  const r = spawnSync(process.execPath, ["--import", probe, bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, LOAD_PROBE_FILE: out },
    encoding: "utf8"
  })
  assert.strictEqual(r.status, 0, r.stderr)
  const { barReads, modules } = JSON.parse(readFileSync(out, "utf8")) as { modules: Array<string>; barReads: Array<string> }
  const has = (pattern: RegExp) => modules.some((url) => pattern.test(url))
  return { modules, barReads, has, stdout: r.stdout }
}

const POSTGRES = /@effect\/sql-pg/
const HTTP = /^node:http$/
const EXCHANGE = /packages\/exchange\/src/
const MARKET = /packages\/market\/src/
const ALPACA_ADAPTER = /packages\/broker\/src\/alpaca\//
const REMOTE_FEEDS = /packages\/market\/src\/(AlpacaBars|PolygonBars|RemoteBars)\.ts$/
const SLACK = /packages\/notify\/src\/(Slack|NotifierConfig)/
const EXCHANGE_SERVER = /packages\/exchange\/src\/server\//
/**
 * The exchange but its fill model and the session calendar it reads (pure rules the paper baselines trade through)
 * and its row guards (a schema check the trade ledger's reads share).
 */
const EXCHANGE_BEYOND_FILLS = /packages\/exchange\/src\/(?!(FillModel|Calendar|RowGuard)\.ts$)/
/** The provider adapters and what only asking a model needs (`@council/llm/live`), and effect/ai. */
const LLM_LIVE = /packages\/llm\/src\/(live|Seating|Ask|LlmCouncil|OpenAiChat|AnthropicMessages|ProviderHttp|ProviderErrors|PitchPrompt|ReviewPrompt|ChairmanPrompt)\.ts$|effect\/dist\/ai\//
/** Any market module but the feed's configuration reader, which every command runs to check the environment. */
const MARKET_DATA = /packages\/market\/src\/(?!MarketFeedConfig\.ts$)/

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : []
  })

describe("start-up", () => {
  it("source modules import effect by module path, never through an index that loads the whole library", () => {
    const dirs = ["packages", "pipelines", "apps"].flatMap((group) =>
      readdirSync(join(root, group)).map((name) => join(root, group, name, "src"))
    )
    const offenders = dirs.flatMap((dir) => (statSync(dir, { throwIfNoEntry: false }) ? sources(dir) : []))
      .filter((file) => /from "effect(\/(http|sql|cli|reactivity|persistence|testing))?"/.test(readFileSync(file, "utf8")))
    assert.deepStrictEqual(offenders, [], "run: node scripts/effect-deep-imports.ts packages/*/src pipelines/*/src apps/*/src")
  })

  it("--help loads the command definitions only: no store, exchange, market or database client, no process spawner", () => {
    const help = loaded(tempHome(), ["--help"])
    const PROCESS_AND_STDIO = /platform-node\/dist\/(NodeChildProcessSpawner|NodeStdio)\.js$|^node:child_process$/
    for (const pattern of [POSTGRES, HTTP, EXCHANGE, MARKET, /packages\/store\/src/, /packages\/engine\/src/, /packages\/llm\/src/, /^node:sqlite$/, PROCESS_AND_STDIO]) {
      assert.isFalse(help.has(pattern), `--help loaded ${pattern}`)
    }
  })

  it("runs, show and run daily load only what they use: no PostgreSQL client on SQLite, no HTTP server, no Alpaca adapter or remote feed on the embedded default, no bars for runs and show", () => {
    const home = tempHome()
    const daily = loaded(home, ["run", "daily"])
    assert.isFalse(daily.has(POSTGRES), "run daily loaded the PostgreSQL client")
    assert.isFalse(daily.has(HTTP), "run daily loaded node:http")
    assert.isAbove(daily.barReads.length, 0)
    // the embedded default trades on the in-process exchange with the local bars and the offline PMs: no adapter,
    // feed, model provider or server for HTTP
    for (const pattern of [ALPACA_ADAPTER, REMOTE_FEEDS, SLACK, EXCHANGE_SERVER, LLM_LIVE, /effect\/dist\/http\/(Fetch)?HttpClient\.js$/]) {
      assert.isFalse(daily.has(pattern), `run daily loaded ${pattern}`)
    }
    const runs = loaded(home, ["runs"])
    // the LLM costs column reads the recorded exchanges (AuditTrail): not the council's index, nor its adapters; which
    // runs are being run is read from the leases (RunActivity): not the pipeline's stages
    for (const pattern of [POSTGRES, HTTP, EXCHANGE, MARKET_DATA, LLM_LIVE, /packages\/llm\/src\/index\.ts$/, /pipelines\/daily\/src\/(?!StageNames|Unevaluated|RunActivity|RunFailures)/]) {
      assert.isFalse(runs.has(pattern), `runs loaded ${pattern}`)
    }
    assert.deepStrictEqual(runs.barReads, [])
    const show = loaded(home, ["show", runIdOf(daily.stdout)])
    for (const pattern of [POSTGRES, HTTP, LLM_LIVE]) assert.isFalse(show.has(pattern), `show loaded ${pattern}`)
    assert.deepStrictEqual(show.barReads, [])
    const exchanges = loaded(home, ["show", runIdOf(daily.stdout), "--llm"])
    for (const pattern of [POSTGRES, HTTP, EXCHANGE, MARKET_DATA, LLM_LIVE]) assert.isFalse(exchanges.has(pattern), `show --llm loaded ${pattern}`)
    assert.match(exchanges.stdout, /no LLM exchanges/)
  })

  it("leaderboard and equity read the ledger without the trading stack: no HTTP, exchange, monitor server, pipeline or model provider", () => {
    const home = tempHome()
    for (const command of [["leaderboard"], ["equity", "--csv"]]) {
      const read = loaded(home, command)
      for (const pattern of [POSTGRES, HTTP, EXCHANGE_BEYOND_FILLS, LLM_LIVE, /apps\/server\/src/, /pipelines\/daily\/src\/(?!StageNames|Unevaluated|BacktestActivity)/]) {
        assert.isFalse(read.has(pattern), `${command[0]} loaded ${pattern}`)
      }
      assert.isTrue(read.has(/packages\/tracking\/src\/Standings\.ts$/), `${command[0]} did not read the standings`)
    }
  })

  it.each([
    ["node apps/cli/src/bin.ts", process.execPath, [bin]],
    // what pnpm runs for `pnpm pipeline …`: the script's text with the arguments after it
    ["pnpm pipeline", "sh", ["-c", `${(JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: { pipeline: string } }).scripts.pipeline} "$@"`, "sh"]]
  ] as const)("%s keeps Node's compile cache in a directory that is this user's alone, never in one that others can write", (_, command, args) => {
    const tmp = tempHome()
    const version = () => spawnSync(command, [...args, "--version"], {
      cwd: root,
      // the script runs `node` from PATH: the node running this test comes first, as pnpm puts the project's node
      // first, so the case holds under a bare `vitest run` too (PATH's own node may be an older one)
      env: { PATH: [dirname(process.execPath), process.env["PATH"] ?? ""].join(delimiter), HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), TMPDIR: tmp },
      encoding: "utf8"
    })
    const files = (dir: string): number =>
      readdirSync(dir).reduce((n, entry) => n + (statSync(join(dir, entry)).isDirectory() ? files(join(dir, entry)) : 1), 0)
    // another user of a shared /tmp made Node's default directory first, writable by all
    const shared = join(tmp, "node-compile-cache")
    mkdirSync(shared)
    chmodSync(shared, 0o777)
    const ours = join(tmp, `council-compile-cache-${process.getuid?.() ?? "user"}`)

    assert.strictEqual(version().status, 0)
    assert.strictEqual(files(shared), 0, "nothing read from or written to a directory others can write")
    assert.strictEqual(statSync(ours).mode & 0o777, 0o700)
    assert.isAbove(files(ours), 0, "the cache is kept where only this user can write")

    rmSync(ours, { recursive: true })
    mkdirSync(ours)
    chmodSync(ours, 0o777)
    assert.strictEqual(version().status, 0)
    assert.strictEqual(files(ours), 0, "a cache directory others can write is not used")
  })
})
