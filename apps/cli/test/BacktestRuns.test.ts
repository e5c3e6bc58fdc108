import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect } from "effect"
import { RunId } from "@council/domain"
import { BundleFile } from "@council/engine"
import { bin, failureOf, spentOn, tempHome } from "./CliHarness.ts"
import { restoredHome } from "./FixtureHome.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"

/**
 * `runs`, `show`, `replay` and `export` with `--backtest ID|latest`: a backtest's sessions are runs in its own
 * database (`$COUNCIL_HOME/backtests/<id>.db`), read there, never created; `latest` as a run id.
 */

const KEYS = {
  OPENAI_API_KEY: "sk-btr-openai-1f0c9e2a",
  GEMINI_API_KEY: "gm-btr-gemini-6b3d0a71",
  ANTHROPIC_API_KEY: "ant-btr-anthropic-c4e8a912",
  GROQ_API_KEY: "gsk-btr-groq-0d7f3b55",
  DEEPSEEK_API_KEY: "ds-btr-deepseek-9a2e6c40"
}

const SESSIONS = ["2026-05-06-bt", "2026-05-05-bt", "2026-05-04-bt"]

const digest = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex")

/** Every backtest database of `home`, by name, with its contents' digest. */
const backtestFiles = (home: string) =>
  Object.fromEntries(readdirSync(join(home, "backtests")).filter((f) => f.endsWith(".db")).map((f) => [f, digest(join(home, "backtests", f))]))

interface ListedRun {
  readonly id: string
  readonly llmCost: { readonly totalUsd: number } | null
}

const listed = async (home: string, args: ReadonlyArray<string>) => JSON.parse(await cliOk(home, ["runs", "--json", ...args])) as ReadonlyArray<ListedRun>

describe("a backtest's session runs, through --backtest", () => {
  it("are listed, shown, replayed exactly and exported from its own database, each charged what its backtest paid", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const env = { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" }
      const range = ["--from", "2026-05-04", "--to", "2026-05-06", "--accounts", "COUNCIL,CLAUDE", "--json"]
      const live = await cliInProcess(home, ["backtest", ...range, "--pms", "live"], env)
      assert.strictEqual(live.code, 0, live.stderr)
      const liveId = (JSON.parse(live.stdout) as { id: string }).id
      // a second backtest of the same sessions (the newest: latest), its runs named as the first's, paid nothing
      const replayed = await cliInProcess(home, ["backtest", ...range, "--pms", "replay"])
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      const asked = fake.requests.length
      const files = backtestFiles(home)
      assert.strictEqual(Object.keys(files).length, 2)

      assert.strictEqual((await cliOk(home, ["runs"])).trim(), "no runs yet — start one with: pnpm pipeline run daily")
      const paid = await listed(home, ["--backtest", liveId])
      assert.deepStrictEqual(paid.map((r) => r.id), SESSIONS)
      for (const run of paid) {
        assert.isAbove(spentOn(home, liveId, run.id), 0, run.id)
        assert.closeTo(run.llmCost?.totalUsd ?? 0, spentOn(home, liveId, run.id), 1e-9, run.id)
      }
      const free = await listed(home, ["--backtest", "latest"])
      assert.deepStrictEqual(free.map((r) => [r.id, r.llmCost]), SESSIONS.map((id) => [id, null]))

      // a page at a time, the next page's command naming the backtest
      const page = await cliOk(home, ["runs", "--backtest", liveId, "--limit", "2"])
      const more = `more: pnpm pipeline runs --backtest ${liveId} --before 2026-05-05-bt --limit 2`
      assert.include(page, more)
      const next = await cliOk(home, more.slice("more: pnpm pipeline ".length).split(" "))
      assert.deepStrictEqual(next.split("\n").filter((l) => l.includes("-bt ")).map((l) => l.split(" ")[0]), ["2026-05-04-bt"])

      const shown = await cliOk(home, ["show", "latest", "--backtest", liveId])
      assert.include(shown, "run       2026-05-06-bt\n")
      assert.include(shown, `backtest  ${liveId} · a session of it, in ${join(home, "backtests", `${liveId}.db`)}\n`)
      assert.include(shown, `details: pnpm pipeline show 2026-05-06-bt --backtest ${liveId} --llm`)
      const exchanges = JSON.parse(await cliOk(home, ["show", "2026-05-05-bt", "--backtest", liveId, "--llm", "--json"])) as ReadonlyArray<unknown>
      assert.isAbove(exchanges.length, 5)

      for (const [id, backtest] of [...SESSIONS.map((id) => [id, liveId] as const), ["latest", "latest"] as const]) {
        const again = await cliInProcess(home, ["replay", id, "--backtest", backtest])
        assert.strictEqual(again.code, 0, failureOf(["replay", id, "--backtest", backtest], again))
        const ran = id === "latest" ? "2026-05-06-bt" : id
        assert.include(again.stdout, `replay of ${ran}: every stage identical`)
        assert.include(again.stderr, `Replaying run ${ran} of backtest ${backtest === "latest" ? JSON.parse(replayed.stdout).id : liveId}`)
      }
      assert.strictEqual(fake.requests.length, asked, "a replay asks no model")

      // an exported session is a bundle as any run's: imported here, it replays from the home's store
      const bundle = join(home, "session.json")
      const exported = await cliInProcess(home, ["export", "2026-05-04-bt", "--backtest", liveId, "-o", bundle])
      assert.strictEqual(exported.code, 0, exported.stderr)
      assert.strictEqual((JSON.parse(readFileSync(bundle, "utf8")) as { run: { id: string } }).run.id, "2026-05-04-bt")
      assert.include(await cliOk(home, ["import", bundle]), "imported run 2026-05-04-bt")
      assert.include(await cliOk(home, ["replay", "2026-05-04-bt"]), "replay of 2026-05-04-bt: every stage identical")

      // reading wrote nothing in the backtests' databases
      assert.deepStrictEqual(backtestFiles(home), files)
    } finally {
      await fake.close()
    }
  }, 120_000)

  it("refuses an unknown or missing backtest and a fork of a session in one line (exit 2), writing nothing", async () => {
    const home = restoredHome(new URL("fixtures/round33-home/", import.meta.url).pathname)
    const [book] = readdirSync(join(home, "backtests")).map((f) => f.replace(/\.db$/, ""))
    // a first read turns the restored file to WAL mode, as any open of it by Council does (its header, not its data)
    assert.deepStrictEqual((await listed(home, ["--backtest", "latest"])).map((r) => r.id), ["2026-05-21-bt", "2026-05-20-bt", "2026-05-19-bt"])
    const files = backtestFiles(home)
    const main = digest(join(home, "council.db"))
    const refused = async (args: ReadonlyArray<string>, line: string) => {
      const result = await cliInProcess(home, args)
      assert.strictEqual(result.code, 2, failureOf(args, result))
      assert.strictEqual(result.stderr.trim(), `error: ${line}`, args.join(" "))
      assert.strictEqual(result.stdout, "", args.join(" "))
    }
    for (const args of [["runs"], ["show", "latest"], ["replay", "latest"], ["export", "latest"]]) {
      await refused([...args, "--backtest", "bt-nope"], `--backtest: no backtest "bt-nope" (list them with: pnpm pipeline backtests)`)
      await refused([...args, "--backtest", ""], "--backtest: give a backtest id, latest, or live (list them with: pnpm pipeline backtests)")
    }
    await refused(
      ["replay", "2026-05-20-bt", "--backtest", book!, "--from", "RiskApproval", "--dry-run"],
      `--from: a backtest's session cannot be forked: its accounts were the backtest's own local exchange at that session, and a fork would read and trade this home's accounts now (replay it without --from, or see it with: pnpm pipeline show 2026-05-20-bt --backtest ${book})`
    )
    await refused(
      ["show", "2026-05-08-bt", "--backtest", "latest"],
      `no run with id 2026-05-08-bt in backtest ${book} (list runs with: pnpm pipeline runs --backtest ${book})`
    )
    await refused(
      ["show", "2026-05-20-bt"],
      "no run with id 2026-05-20-bt (list runs with: pnpm pipeline runs; a backtest's sessions with: pnpm pipeline runs --backtest <id>|latest)"
    )
    assert.deepStrictEqual(backtestFiles(home), files)
    assert.strictEqual(digest(join(home, "council.db")), main)

    // its database gone: said, not created
    const file = join(home, "backtests", `${book}.db`)
    renameSync(file, `${file}.away`)
    await refused(
      ["runs", "--backtest", book!],
      `--backtest ${book}: its database ${file} is missing (restore ${join(home, "backtests")} beside the home's database, or point COUNCIL_HOME at the home that ran it)`
    )
    assert.isFalse(existsSync(file))

    // no home: nothing to read, nothing created
    const none = join(tempHome(), "none")
    for (const [args, line] of [
      [["runs", "--backtest", "latest"], "--backtest: there is no backtest yet (start one with: pnpm pipeline backtest)"],
      [["show", "latest"], "latest: there are no runs yet"],
      [["replay", "latest"], "latest: there are no runs yet"]
    ] as const) {
      const result = await cliInProcess(none, args)
      assert.strictEqual(result.code, 2, failureOf(args, result))
      assert.strictEqual(result.stderr.trim(), `error: ${line}`)
    }
    assert.isFalse(existsSync(none))
  }, 60_000)

  it("a session left running by a backtest whose process is gone is stopped, continued by resuming its backtest", async () => {
    const home = restoredHome(new URL("fixtures/round33-home/", import.meta.url).pathname)
    const [book] = readdirSync(join(home, "backtests")).map((f) => f.replace(/\.db$/, ""))
    // what a SIGKILL part-way through its last session leaves: the book and that session's run `running`, no lease
    const write = (file: string, statement: string, ...values: ReadonlyArray<string>) => {
      const db = new DatabaseSync(file)
      try {
        db.prepare(statement).run(...values)
      } finally {
        db.close()
      }
    }
    write(join(home, "council.db"), "UPDATE ledger_books SET status = 'running' WHERE id = ?", book!)
    write(join(home, "backtests", `${book}.db`), "UPDATE runs SET status = 'running', finished_at = NULL WHERE id = ?", "2026-05-21-bt")
    const listing = await cliOk(home, ["runs", "--backtest", book!])
    assert.match(listing, /^2026-05-21-bt +2026-05-21 +stopped /m)
    assert.include(listing, `\nrun 2026-05-21-bt stopped (its process is gone): continue its backtest with: pnpm pipeline backtest --resume ${book}\n`)
    assert.include(await cliOk(home, ["show", "latest", "--backtest", book!]), `status    stopped (its process is gone): continue its backtest with: pnpm pipeline backtest --resume ${book}\n`)
  }, 60_000)

  it("latest names the newest run of a store, as runs lists it first; live names the home's store; no run may be imported as latest", async () => {
    const home = restoredHome(new URL("fixtures/round33-home/", import.meta.url).pathname)
    const [newest] = await listed(home, [])
    assert.deepStrictEqual(await listed(home, ["--backtest", "live"]), await listed(home, []))
    assert.strictEqual(await cliOk(home, ["show", "latest"]), await cliOk(home, ["show", newest!.id]))
    assert.strictEqual(await cliOk(home, ["show", "latest", "--backtest", "live", "--json"]), await cliOk(home, ["show", newest!.id, "--json"]))
    assert.strictEqual(await cliOk(home, ["export", "latest"]), await cliOk(home, ["export", newest!.id]))
    assert.include(await cliOk(home, ["replay", "latest"]), `replay of ${newest!.id}: every stage it ran identical`)
    // the word, wherever the command runs: a file named latest beside it is read only as a path (./latest)
    const cwd = tempHome()
    writeFileSync(join(cwd, "latest"), "not a bundle\n")
    const inCwd = (args: ReadonlyArray<string>) =>
      spawnSync(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home }, encoding: "utf8" })
    const word = inCwd(["replay", "latest"])
    assert.strictEqual(word.status, 0, word.stderr)
    assert.include(word.stdout, `replay of ${newest!.id}: every stage it ran identical`)
    const path = inCwd(["replay", "./latest"])
    assert.strictEqual(path.status, 2, path.stderr)
    assert.include(path.stderr, "./latest is not a Council run bundle")
    const [session] = await listed(home, ["--backtest", "latest"])
    assert.strictEqual(session!.id, "2026-05-21-bt")
    // the round-33 backtest's sessions replay from its own file, as its day runs do from the home's
    for (const id of ["2026-05-19-bt", "2026-05-20-bt", "latest"]) {
      assert.include(await cliOk(home, ["replay", id, "--backtest", "latest"]), `replay of ${id === "latest" ? session!.id : id}: every stage identical`)
    }
    assert.strictEqual(await cliOk(home, ["export", "latest", "--backtest", "latest"]), await cliOk(home, ["export", "2026-05-21-bt", "--backtest", "latest"]))

    // a bundle whose run is named latest (made by hand: no run is named so) would be shadowed by the word: refused
    const bundle = await Effect.runPromise(BundleFile.open("export", await cliOk(home, ["export", newest!.id])))
    const file = join(home, "latest.json")
    writeFileSync(file, JSON.stringify(BundleFile.seal({
      run: { ...bundle.run, id: RunId.make("latest") },
      checkpoints: bundle.checkpoints.map((c) => ({ ...c, runId: RunId.make("latest") })),
      recordings: bundle.recordings.map((r) => ({ ...r, runId: RunId.make("latest") }))
    })))
    const imported = await cliInProcess(home, ["import", file])
    assert.strictEqual(imported.code, 2, failureOf(["import", file], imported))
    assert.strictEqual(imported.stderr.trim(), `error: cannot import ${file}: its run is named latest, which here names the newest run (show latest, replay latest)`)
  }, 60_000)
})
