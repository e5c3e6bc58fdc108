import { assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { blobText } from "./StoredBlobs.ts"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { RunId } from "@council/domain"
import { Effect, Layer } from "effect"
import { BundleFile, Pipeline, RunStore, textHash } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { DailyPipeline } from "@council/daily"
import { cli, runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const lines = (text: string) => text.trim().split("\n").filter((l) => l !== "")

describe("pnpm pipeline", () => {
  const home = tempHome()
  let runId = ""
  let firstTable = ""

  it("runs the latest trading day for six accounts on the embedded default", async () => {
    const r = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(r.code, 0, r.stderr)
    for (const account of ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]) {
      assert.match(r.stdout, new RegExp(`^${account}\\s+succeeded`, "m"))
    }
    for (const stage of DailyPipeline.stageNames) assert.match(r.stderr, new RegExp(`✓ ${stage}`))
    runId = runIdOf(r.stdout)
    assert.match(runId, /^2026-06-08-/)
    firstTable = r.stdout
  })

  it("places nothing again for a day that already ran, and shows that run as it ran (its equity included)", async () => {
    const before = (await cliInProcess(home, ["orders", "--status", "all"])).stdout
    const r = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`already ran as ${runId}; nothing is placed again`))
    assert.strictEqual(runIdOf(r.stdout), runId)
    assert.match(firstTable, /^CHATGPT\s+succeeded\s+\d+\s+\d+\s+\$100,000\.00/m)
    assert.strictEqual(r.stdout, firstTable)
    assert.strictEqual((await cliInProcess(home, ["orders", "--status", "all"])).stdout, before)
  })

  it("replays the run from its recordings: every stage identical", async () => {
    const r = await cliInProcess(home, ["replay", runId])
    assert.strictEqual(r.code, 0, r.stdout + r.stderr)
    for (const stage of DailyPipeline.stageNames) assert.match(r.stdout, new RegExp(`${stage}\\s+identical`))
  })

  it("exports a bundle without secrets that another home imports and replays identically", async () => {
    const file = join(home, "bundle.json")
    assert.strictEqual((await cliInProcess(home, ["export", runId, "-o", file])).code, 0)
    const text = readFileSync(file, "utf8")
    assert.notMatch(text, /secret/i)
    const other = tempHome()
    assert.strictEqual((await cliInProcess(other, ["replay", file])).code, 0)
    const imported = await cliInProcess(other, ["import", file])
    assert.strictEqual(imported.code, 0, imported.stderr)
    assert.match((await cliInProcess(other, ["runs"])).stdout, new RegExp(runId))
    assert.strictEqual((await cliInProcess(other, ["replay", runId])).code, 0)
  })

  it("replays a run named by an id that looks like a path; a file of that name, when one exists, is read instead", async () => {
    const sealed = JSON.parse(readFileSync(join(home, "bundle.json"), "utf8")) as BundleFile.BundleFile
    const other = tempHome()
    assert.strictEqual((await cliInProcess(other, ["runs"])).code, 0)
    const ids = ["imported/2026-06-08.json", join(other, "by-path.json")]
    for (const id of ids) {
      const renamed = {
        run: { ...sealed.run, id: RunId.make(id) },
        checkpoints: sealed.checkpoints.map((c) => ({ ...c, runId: RunId.make(id) })),
        recordings: sealed.recordings.map((r) => ({ ...r, runId: RunId.make(id) }))
      }
      // import refuses such an id now; a store an older version imported it into still holds it
      writeFileSync(join(other, "renamed.json"), JSON.stringify(BundleFile.seal(renamed)))
      const refused = await cliInProcess(other, ["import", join(other, "renamed.json")])
      assert.strictEqual(refused.code, 2)
      assert.match(refused.stderr, /is refused: its run id is not one Council writes/)
      await RunStore.use((s) => s.importBundle(renamed, "imported")).pipe(
        Effect.provide(SqlRunStore.layer.pipe(Layer.provide(Database.layerSqlite(join(other, "council.db"))))),
        Effect.runPromise
      )
      // no file of that name: the run of that id in the store
      assert.isFalse(existsSync(id))
      const byId = await cliInProcess(other, ["replay", id])
      assert.strictEqual(byId.code, 0, byId.stderr)
      assert.include(byId.stderr, `Replaying run ${id} ·`)
      for (const stage of DailyPipeline.stageNames) assert.match(byId.stdout, new RegExp(`${stage}\\s+identical`))
    }
    // a file by that name exists: the file is read (its run is the one exported)
    writeFileSync(ids[1]!, JSON.stringify(sealed))
    const byFile = await cliInProcess(other, ["replay", ids[1]!])
    assert.strictEqual(byFile.code, 0, byFile.stderr)
    assert.include(byFile.stderr, `Replaying run ${runId} ·`)
    // neither a file nor a run: a path is named as the file, a bare name as the run
    assert.match((await cliInProcess(other, ["replay", "imported/2026-06-09.json"])).stderr, /^error: cannot read imported\/2026-06-09\.json: no such file \(ENOENT\)$/m)
    assert.match((await cliInProcess(other, ["replay", "2026-06-09-nothere"])).stderr, /^error: no run with id 2026-06-09-nothere \(list runs with: pnpm pipeline runs\)$/m)
  })

  it("forks a dry run from a stage, reusing the earlier checkpoints", async () => {
    const r = await cliInProcess(home, ["replay", runId, "--from", "RiskApproval", "--dry-run"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /FetchData\s+reused from/)
    assert.include(
      r.stderr,
      `fork of ${runId} from RiskApproval: RiskApproval reads the accounts and their open orders; Execution reads the broker's clock and calendar — now, not from ${runId}'s recordings`
    )
    assert.match(r.stdout, new RegExp(`forked run \\S+ from ${runId} at RiskApproval`))
    const bad = await cliInProcess(home, ["replay", runId, "--from", "Nowhere"])
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /unknown stage "Nowhere"/)
  })

  it("reports a checkpoint that differs from what its stage does now as a divergence and exits 1", async () => {
    const db = new DatabaseSync(join(home, "council.db"))
    const row = db.prepare("SELECT lower(hex(output_hash)) AS hash FROM checkpoints WHERE run_id = ? AND stage = 'CouncilSynthesis'").get(runId) as
      | { hash: string }
      | undefined
    const output = JSON.parse(blobText(db, row!.hash)) as { rationale: string }
    // stored whole (under its own hash), as an older version of a stage would have written it
    const edited = JSON.stringify({ ...output, rationale: "edited by hand" })
    db.prepare("INSERT INTO blobs (hash, body, data, base, z) VALUES (unhex(?), ?, NULL, NULL, 0)").run(textHash(edited), edited)
    db.prepare("UPDATE checkpoints SET output_hash = unhex(?) WHERE run_id = ? AND stage = 'CouncilSynthesis'").run(textHash(edited), runId)
    db.close()
    const r = await cliInProcess(home, ["replay", runId])
    assert.strictEqual(r.code, 1)
    assert.match(r.stdout, /CouncilSynthesis\s+DIVERGED/)
    assert.match(r.stdout, /rationale: "edited by hand" → /)
    assert.match(r.stdout, /RiskApproval\s+identical/)
    assert.deepStrictEqual(lines(r.stderr).at(-1), `error: replay of ${runId} diverged from the recorded run`)
  })

  it("a recording edited in place (or rotted) is named as damaged by replay and export (exit 1), not replayed as identical", async () => {
    const fresh = tempHome()
    const ran = await cliInProcess(fresh, ["run", "daily", "--dry-run"])
    assert.strictEqual(ran.code, 0, ran.stderr)
    const id = runIdOf(ran.stdout)
    assert.strictEqual((await cliInProcess(fresh, ["replay", id])).code, 0)
    const db = new DatabaseSync(join(fresh, "council.db"))
    const row = db.prepare("SELECT lower(hex(entries_hash)) AS hash FROM stage_recordings WHERE run_id = ? AND stage = 'PmPitches'").get(id) as { hash: string }
    // one byte more: the same JSON, so the recordings read as they were; but not the text the run recorded
    db.prepare("UPDATE blobs SET body = ?, data = NULL, base = NULL, z = 0 WHERE hash = unhex(?)").run(`${blobText(db, row.hash)} `, row.hash)
    db.close()
    // named directly, or as the base of the stage's checkpoint (compressed against its recordings), read first
    const damage = new RegExp(`^error: run ${id}'s (recordings of PmPitches: |checkpoint of PmPitches: stored blob [0-9a-f]{32} does not rebuild: it is compressed against run ${id}'s recordings of PmPitches, )stored blob ${row.hash},? (which )?does not match its hash \\(edited or damaged\\)$`)
    const replayed = await cliInProcess(fresh, ["replay", id])
    assert.strictEqual(replayed.code, 1, replayed.stdout)
    assert.match(lines(replayed.stderr).at(-1)!, damage)
    const exported = await cliInProcess(fresh, ["export", id, "-o", join(fresh, "bundle.json")])
    assert.strictEqual(exported.code, 1)
    assert.match(lines(exported.stderr).at(-1)!, damage)
  })

  it("a run awaiting approval replays the stages it ran (exit 0); a completed run that lost a checkpoint is damaged (exit 1)", async () => {
    const fresh = tempHome()
    const waiting = await cliInProcess(fresh, ["run", "daily", "--require-approval"])
    assert.strictEqual(waiting.code, 0, waiting.stderr)
    const waitingId = runIdOf(waiting.stdout)
    const stopped = await cliInProcess(fresh, ["replay", waitingId])
    assert.strictEqual(stopped.code, 0, stopped.stdout + stopped.stderr)
    assert.match(stopped.stdout, /RiskApproval\s+identical/)
    assert.match(stopped.stdout, /Execution\s+not replayed: the run stopped before this stage \(awaiting-approval\)/)
    assert.strictEqual(lines(stopped.stdout).at(-1), `replay of ${waitingId}: every stage it ran identical (it is awaiting-approval: it stopped before Execution)`)
    assert.strictEqual((await cliInProcess(fresh, ["approve", waitingId])).code, 0)
    const db = new DatabaseSync(join(fresh, "council.db"))
    db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND stage = 'Execution'").run(waitingId)
    db.close()
    const damaged = await cliInProcess(fresh, ["replay", waitingId])
    assert.strictEqual(damaged.code, 1)
    assert.match(damaged.stdout, /Execution\s+MISSING: the run has no checkpoint here, though it completed: the store or bundle is damaged/)
    assert.deepStrictEqual(lines(damaged.stderr).at(-1), `error: run ${waitingId} is damaged: it has no checkpoint of Execution, so it cannot be replayed in full`)
  })

  it("one damaged run leaves `runs` listing the others (exit 0) and names what is wrong; show of it fails naming it", async () => {
    const fresh = tempHome()
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05", "--dry-run"])
    assert.strictEqual(earlier.code, 0, earlier.stderr)
    const latest = await cliInProcess(fresh, ["run", "daily", "--dry-run"])
    assert.strictEqual(latest.code, 0, latest.stderr)
    const [hurt, whole] = [runIdOf(earlier.stdout), runIdOf(latest.stdout)]
    const db = new DatabaseSync(join(fresh, "council.db"))
    db.prepare("UPDATE runs SET status = 'bogus' WHERE id = ?").run(hurt)
    const listed = await cliInProcess(fresh, ["runs"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^${whole}\\s+2026-06-08\\s+completed`, "m"))
    // a run that asked no model (offline PMs): its LLM COST is "—", as the leaderboard writes no cost, not "-"
    assert.match(listed.stdout, /^RUN .* LLM COST$/m)
    assert.match(listed.stdout, new RegExp(`^${whole} .* —$`, "m"))
    assert.match(listed.stdout, new RegExp(`^${hurt}\\s+2026-06-05\\s+damaged`, "m"))
    assert.match(listed.stdout, new RegExp(`^run ${hurt} is damaged: run ${hurt}: stored data does not decode: Expected "running"`, "m"))
    const shown = await cliInProcess(fresh, ["show", hurt])
    assert.strictEqual(shown.code, 1)
    assert.match(lines(shown.stderr).at(-1)!, new RegExp(`^error: run ${hurt}: stored data does not decode`))
    // with --json the failure is the one document on stdout, its exit code and stderr's line
    const shownJson = await cliInProcess(fresh, ["show", hurt, "--json"])
    assert.strictEqual(shownJson.code, 1)
    const error = (JSON.parse(shownJson.stdout) as { error: { exitCode: number; message: string } }).error
    assert.deepStrictEqual([error.exitCode, `error: ${error.message}`], [1, lines(shownJson.stderr).at(-1)])
    assert.strictEqual((await cliInProcess(fresh, ["show", whole])).code, 0)
    // its parameters lost instead: listed in its place the same way
    db.prepare("UPDATE runs SET status = 'completed' WHERE id = ?").run(hurt)
    db.prepare("DELETE FROM blobs WHERE hash = unhex((SELECT params_hash FROM runs WHERE id = ?)) AND hash <> unhex((SELECT params_hash FROM runs WHERE id = ?))").run(hurt, whole)
    db.close()
    const lost = await cliInProcess(fresh, ["runs"])
    assert.strictEqual(lost.code, 0, lost.stderr)
    assert.match(lost.stdout, new RegExp(`^run ${hurt} is damaged: run ${hurt}'s parameters: stored blob [0-9a-f]{32} is missing$`, "m"))
    assert.match(lost.stdout, new RegExp(`^${whole}\\s+2026-06-08\\s+completed`, "m"))
  })

  it("a damaged run is named once and passed over by the day's P&L and by `runs`' activity; acting on it still fails", async () => {
    const fresh = tempHome()
    assert.strictEqual((await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-04"])).code, 0)
    const hurt = runIdOf((await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"])).stdout)
    const db = new DatabaseSync(join(fresh, "council.db"))
    db.prepare("UPDATE runs SET status = 'bogus' WHERE id = ?").run(hurt)
    const ran = await cliInProcess(fresh, ["run", "daily"])
    assert.strictEqual(ran.code, 0, ran.stderr)
    const warned = lines(ran.stderr).filter((l) => l.startsWith(`warning: run ${hurt}`))
    assert.strictEqual(warned.length, 1, ran.stderr)
    assert.match(warned[0]!, new RegExp(`^warning: run ${hurt} is damaged and skipped: run ${hurt}: stored data does not decode: Expected "running"`))
    // its session counts as one without a completed run, named as damaged
    assert.match(ran.stderr, new RegExp(`2026-06-05: run ${hurt} is damaged`))
    // the P&L runs from the latest run that reads (2026-06-04's), not "—" for every account
    const summary = lines(ran.stderr).find((l) => l.includes("Run summary 2026-06-08"))!
    assert.notMatch(summary, /P&L[^|]* —/)
    assert.match(summary, /CHATGPT [^|]*P&L since 2026-06-04 [+−]\$/, summary)
    // a run left `running` next to the damaged one: `runs` still says what became of it
    const whole = runIdOf(ran.stdout)
    db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(whole)
    db.close()
    const listed = await cliInProcess(fresh, ["runs"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^run ${hurt} is damaged: `, "m"))
    assert.match(listed.stdout, new RegExp(`^run ${whole} `, "m"))
    const shown = await cliInProcess(fresh, ["show", hurt])
    assert.strictEqual(shown.code, 1)
    assert.match(lines(shown.stderr).at(-1)!, new RegExp(`^error: run ${hurt}: stored data does not decode`))
  })

  it("looking at the accounts of a fresh home first leaves the README's earlier day to run", async () => {
    const fresh = tempHome()
    const looked = await cliInProcess(fresh, ["accounts"])
    assert.strictEqual(looked.code, 0, looked.stderr)
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(earlier.code, 0, earlier.stderr)
    const latest = await cliInProcess(fresh, ["run", "daily"])
    assert.strictEqual(latest.code, 0, latest.stderr)
    assert.match((await cliInProcess(fresh, ["positions"])).stdout, /^CHATGPT\s+QQQ\s+long/m)
  })

  it("a later session the ledger recorded an untraded account at holds it: an earlier day is refused, dry runs too", async () => {
    const fresh = tempHome()
    const reconciled = await cliInProcess(fresh, ["reconcile"])
    assert.strictEqual(reconciled.code, 0, reconciled.stderr)
    assert.match(reconciled.stdout, /session 2026-06-08/)
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(earlier.code, 2, earlier.stderr)
    assert.strictEqual(
      lines(earlier.stderr).at(-1),
      "error: the ledger has recorded CHATGPT at 2026-06-08 (a reconciliation); positions carry across days, so the local exchange cannot trade 2026-06-05 (during the session) for it (run 2026-06-08 or a later day, or use a fresh COUNCIL_HOME for an earlier one)"
    )
    // nor may a dry run leave the accounts there, for a manual order to be placed at that earlier moment
    const dry = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05", "--dry-run"])
    assert.strictEqual(dry.code, 2, dry.stderr)
    const order = await cliInProcess(fresh, ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--json"])
    assert.strictEqual(order.code, 0, order.stderr)
    // placed after 06-05's close, as the reconciliation found the account: it fills at 06-08's open, not before
    const placed = (JSON.parse(order.stdout) as { order: { submittedAt: string; status: string } }).order
    assert.deepStrictEqual([placed.submittedAt, placed.status], ["2026-06-05T20:00:00.000Z", "accepted"])
  })

  it("a reconciliation on a fresh home before the open, then an after-close run of the session before, goes on", async () => {
    const fresh = tempHome()
    assert.strictEqual((await cliInProcess(fresh, ["reconcile"])).code, 0)
    // filed under 2026-06-08, marked at 06-05's close: a 16:15 run of 06-05 comes after it, its orders fill at 06-08's open
    const afterClose = { COUNCIL_SCHEDULE: "after-close" }
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"], afterClose)
    assert.strictEqual(earlier.code, 0, earlier.stderr)
    assert.match((await cliInProcess(fresh, ["orders", "--status", "all"])).stdout, /^CHATGPT\s+2026-06-05\s+XLE\s+buy\s+173\s+market\s+bracket\s+accepted/m)
    assert.match((await cliInProcess(fresh, ["positions"])).stdout, /^no open positions/m)
    const latest = await cliInProcess(fresh, ["run", "daily"], afterClose)
    assert.strictEqual(latest.code, 0, latest.stderr)
    assert.match((await cliInProcess(fresh, ["positions"])).stdout, /^CHATGPT\s+XLE\s+long\s+173\s/m)
    // the reconciliation's snapshot of 06-08 is replaced by the run's, holding what filled at the open
    const equity = (await cliInProcess(fresh, ["equity", "--account", "CHATGPT"])).stdout
    assert.match(equity, /^CHATGPT\s+2026-06-05\s+\$100,000\.00\s+\$100,000\.00\s+\$0\.00\s/m)
    assert.match(equity, /^CHATGPT\s+2026-06-08\s+\$[\d,.]+\s+\$[\d,.]+\s+\$10,[\d,.]+\s/m, "XLE held: its gross exposure, not the reconciliation's $0.00")
  })

  it("the day after an entry (close schedule: no legs), the sell that protects the shares held says it is their protective exit, awaiting approval and in orders", async () => {
    const fresh = tempHome()
    assert.strictEqual((await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"])).code, 0)
    const waiting = await cliInProcess(fresh, ["run", "daily", "--require-approval"])
    assert.strictEqual(waiting.code, 0, waiting.stderr)
    const protects = lines(waiting.stdout).filter((l) => /-protect-[0-9a-f]+ /.test(l))
    assert.isAbove(protects.length, 0, waiting.stdout)
    for (const line of protects) assert.match(line, /\s(sell|buy)\s+\d+\s+[A-Z]+\s+limit\s+gtc\s+oco\s+\S+\s+protective exit of shares held \(take-profit limit \+ stop\)$/)
    assert.match(waiting.stdout, /-open-[0-9a-f]+\s+entry \(its protective exit is placed by the next run, once it filled\)$/m)
    assert.strictEqual((await cliInProcess(fresh, ["approve", runIdOf(waiting.stdout)])).code, 0)
    const orders = (await cliInProcess(fresh, ["orders", "--status", "all"])).stdout
    assert.match(orders, /\slimit\s+oco\s+new\s+-\s+\S+-protect-[0-9a-f]+\s+protective exit of shares held \(take-profit limit \+ stop\)$/m)
    assert.match(orders, /\sstop\s+oco\s+new\s+-\s+\S+\s+protective exit: its stop leg$/m)
    assert.match(orders, /\s2026-06-05\s.*\sfilled\s.*-open-[0-9a-f]+\s+entry \(its protective exit/m)
  })

  it("a run awaiting approval holds the accounts it decided on: an earlier day may not trade them meanwhile", async () => {
    const fresh = tempHome()
    const waiting = await cliInProcess(fresh, ["run", "daily", "--require-approval"])
    assert.strictEqual(waiting.code, 0, waiting.stderr)
    assert.match(waiting.stdout, /awaiting approval/)
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(earlier.code, 2, earlier.stderr)
    assert.match(lines(earlier.stderr).at(-1)!, /^error: the ledger has recorded CHATGPT at 2026-06-08 \(a reconciliation\)/)
  })

  it("an earlier day's run awaiting approval is refused once a later day's run decided on its accounts", async () => {
    const fresh = tempHome()
    const earlier = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05", "--require-approval"])
    assert.strictEqual(earlier.code, 0, earlier.stderr)
    const later = await cliInProcess(fresh, ["run", "daily", "--require-approval"])
    assert.strictEqual(later.code, 0, later.stderr)
    const refused = await cliInProcess(fresh, ["approve", runIdOf(earlier.stdout)])
    assert.strictEqual(refused.code, 2, refused.stderr)
    assert.match(lines(refused.stderr).at(-1)!, /^error: the ledger has recorded CHATGPT at 2026-06-08 \(a reconciliation\)/)
    assert.notMatch((await cliInProcess(fresh, ["orders", "--status", "all"])).stdout, /2026-06-05/)
    const approved = await cliInProcess(fresh, ["approve", runIdOf(later.stdout)])
    assert.strictEqual(approved.code, 0, approved.stderr)
  })

  it("a dry run sends nothing and does not count as the day's run", async () => {
    const fresh = tempHome()
    const dry = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05", "--dry-run", "--accounts", "COUNCIL,claude"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^CLAUDE\s+dry-run/m)
    assert.notMatch(dry.stdout, /CHATGPT/)
    assert.strictEqual((await cliInProcess(fresh, ["orders", "--status", "all"])).stdout.trim(), "no orders")
    const real = await cliInProcess(fresh, ["run", "daily", "--date", "2026-06-05", "--accounts", "COUNCIL,CLAUDE"])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.notStrictEqual(runIdOf(real.stdout), runIdOf(dry.stdout))
  })

  it("rejects bad input with one clear line and exit 2", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, RegExp]> = [
      [["run", "daily", "--date", "2099-01-01"], /^error: --date 2099-01-01: 2099-01-01 is after the last session in the data \(2026-06-08\)$/],
      [["run", "daily", "--at", "noon"], /^error: --at noon: expected HH:MM, New York time/],
      [["run", "daily", "--date", "June 5"], /expected a date as YYYY-MM-DD/],
      [["run", "daily", "--date", "2026-06-04"], /the local exchange has traded CHATGPT up to 2026-06-08 \(during the session\); positions carry across days, so it cannot trade 2026-06-04/],
      [["run", "daily", "--bogus"], /^error: Unrecognized flag: --bogus/],
      [["run", "weekly"], /unknown pipeline "weekly"/],
      [["run", "daily", "--accounts", "NOPE"], /unknown account NOPE/],
      [["show", "no-such-run"], /no run with id no-such-run/],
      [["runs", "--limit", "0"], /expected a whole number from 1 to 1000/],
      [["import", "/nonexistent.json"], /cannot read \/nonexistent.json/],
      [["close-all"], /add --yes to confirm/]
    ]
    const envCases: ReadonlyArray<[Record<string, string>, RegExp]> = [
      [{ COUNCIL_SLIPPAGE_BPS: "-3" }, /^error: COUNCIL_SLIPPAGE_BPS: expected a number ≥ 0, got "-3"$/],
      [{ COUNCIL_DATA: "yahoo" }, /COUNCIL_DATA must be one of local, alpaca, polygon/],
      [{ TRADING_ACCOUNTS_CONFIG: "[{\"id\":\"COUNCIL\",\"mode\":\"LIVE\",\"credentials\":{\"keyId\":\"k\",\"secretKey\":\"s\"}}]" }, /COUNCIL: mode LIVE is refused/],
      [{ ALPACA_CLAUDE_KEY_ID: "k" }, /ALPACA_CHATGPT_KEY_ID is not set/]
    ]
    const envResults = await Promise.all(envCases.map(([env]) => cliInProcess(home, ["run", "daily"], env)))
    for (const [i, [env, expected]] of envCases.entries()) {
      const r = envResults[i]!
      assert.strictEqual(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`)
      assert.strictEqual(lines(r.stderr).length, 1, `${JSON.stringify(env)} printed:\n${r.stderr}`)
      assert.match(r.stderr.trim(), expected)
    }
    const results = await Promise.all(cases.map(([args]) => cliInProcess(home, args)))
    for (const [i, [args, expected]] of cases.entries()) {
      const r = results[i]!
      assert.strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`)
      assert.strictEqual(lines(r.stderr).length, 1, `${args.join(" ")} printed:\n${r.stderr}`)
      assert.match(r.stderr.trim(), expected)
      assert.notMatch(r.stderr, /\s+at\s.+:\d+:\d+/)
    }
  })

  it("named alone, the CLI and a command group show their help on stdout and exit 0, as with --help", async () => {
    for (const group of [[], ["exchange"]]) {
      const [bare, help] = [await cliInProcess(undefined, group), await cliInProcess(undefined, [...group, "--help"])]
      assert.deepStrictEqual([bare.code, bare.stderr], [0, ""], `pipeline ${group.join(" ")}`)
      assert.match(bare.stdout, /^DESCRIPTION\n/)
      assert.strictEqual(bare.stdout, help.stdout)
    }
  })

  it("has help on every command: exit codes, a description for every argument and flag, defaults shown", async () => {
    const commands = [
      ["run"], ["approve"], ["replay"], ["runs"], ["show"], ["export"], ["import"], ["accounts"], ["positions"], ["orders"], ["order"],
      ["cancel-all"], ["close-all"], ["reconcile"], ["verify"], ["graph"], ["exchange"], ["exchange", "serve"], ["exchange", "keys"],
      ["backtest"], ["leaderboard"], ["equity"], ["backtests"], ["serve"], []
    ]
    const exitLines = new Map<string, string>()
    for (const command of commands) {
      const r = await cliInProcess(undefined, [...command, "--help"])
      assert.strictEqual(r.code, 0, command.join(" "))
      assert.match(r.stdout, /USAGE/)
      assert.match(r.stdout, /Exit codes: 0 /, command.join(" "))
      // the exit codes speak of this command's own flags only (not another command's, copied with its text)
      const exitLine = /Exit codes: .*/.exec(r.stdout)![0]
      exitLines.set(command.join(" "), exitLine)
      const flagsBlock = r.stdout.split("\n\n").find((block) => block.startsWith("FLAGS\n")) ?? ""
      const strangers = (exitLine.match(/--[a-z][a-z-]*/g) ?? []).filter((flag) => !new RegExp(`^  ${flag}[ ,]`, "m").test(flagsBlock))
      assert.deepStrictEqual(strangers, [], `${command.join(" ")}: ${exitLine}`)
      const entries = r.stdout.split("\n\n").filter((block) => /^(ARGUMENTS|FLAGS)\n/.test(block)).flatMap((block) => block.split("\n").slice(1))
      const undescribed = entries.filter((line) => !/\S\s{2,}\S/.test(line.trimEnd()))
      assert.deepStrictEqual(undescribed, [], `${command.join(" ")}: arguments without a description`)
    }
    const defaults: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
      [["runs"], /--limit integer\s+how many runs, newest first: 1–1000 \(default: 20\)/],
      [["orders"], /--status choice\s+which orders \(default: open\)/],
      [["exchange", "serve"], /--latency-ms integer\s+each answer leaves this many milliseconds after its request arrived, the request handled meanwhile \(default: 0\)/],
      [["show"], /run-id string\s+a run id/],
      [["import"], /bundle\.json string\s+a bundle file written by export/]
    ]
    for (const [command, expected] of defaults) assert.match((await cliInProcess(undefined, [...command, "--help"])).stdout, expected)
    // what each command's exit 1 and exit 0 mean for it (verify: a model failing is exit 1, as LlmCli.test.ts runs it)
    assert.match(exitLines.get("verify")!, /; 1 an account or a model failed;/)
    assert.match(exitLines.get("approve")!, /^Exit codes: 0 sent and every account succeeded, or rejected \(nothing sent\);/)
    assert.match(exitLines.get("")!, /; 130 interrupted by Ctrl-C or SIGTERM/)
    // an interrupted backtest exits 130 (Backtest.test.ts sends it SIGINT and SIGTERM), never 1
    assert.match(exitLines.get("backtest")!, /; 1 a session's run failed \(continue it with --resume\); .*; 130 interrupted by Ctrl-C or SIGTERM/)
  })

  it("show --json is a summary; --json --full is the whole bundle", async () => {
    const summary = await cliInProcess(home, ["show", runId, "--json"])
    const full = await cliInProcess(home, ["show", runId, "--json", "--full"])
    const parsed = JSON.parse(summary.stdout) as { run: { id: string }; stages: ReadonlyArray<{ stage: string; summary: string }> }
    assert.strictEqual(parsed.run.id, runId)
    assert.deepStrictEqual(parsed.stages.map((s) => s.stage), DailyPipeline.stageNames)
    assert.isBelow(summary.stdout.split("\n").length, 400)
    assert.strictEqual((JSON.parse(full.stdout) as { format: string }).format, "council-run-bundle/4")
    assert.isAbove(full.stdout.split("\n").length, 1000)
  })
})

describe("README", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

  it("states the LIVE rule once, and documents every variable and flag a user can set", () => {
    assert.strictEqual(readme.split("I_UNDERSTAND_REAL_MONEY").length - 1, 1)
    for (const name of ["COUNCIL_BARS_DIR", "--host", "--fault-kinds", "--log-level", "--send", "--full", "COUNCIL_ALLOW_LIVE", "Exit codes", "COUNCIL_SCHEDULE", "COUNCIL_LOCK_TTL_SECONDS", "--at", "--require-approval", "--early-close-only", "pipeline approve"]) {
      assert.include(readme, name)
    }
  })

  it("shows the stage graph generated from the pipeline definition", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
    const block = /<!-- pipeline-graph:start[^\n]*-->\n```mermaid\n([\s\S]*?)\n```/.exec(readme)?.[1]
    assert.strictEqual(block, Pipeline.toMermaid(DailyPipeline))
  })
})

describe("--wizard", () => {
  it("refuses without a terminal (exit 2, one line, nothing run), as a cron job or a pipe would start it", () => {
    const home = tempHome()
    for (const args of [["--wizard"], ["run", "daily", "--wizard"]]) {
      const r = cli(home, args)
      assert.strictEqual(r.code, 2, r.stdout + r.stderr)
      assert.strictEqual(r.stdout, "")
      assert.strictEqual(r.stderr, "error: --wizard asks its questions on a terminal, and stdin is not one: give the command with its flags instead\n")
    }
    assert.deepStrictEqual(readdirSync(home), [])
  })
})
