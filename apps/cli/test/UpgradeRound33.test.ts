import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { failureOf, intendedClientIds } from "./CliHarness.ts"
import { restoredHome } from "./FixtureHome.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"

/**
 * A home the round-33 version made (commit e14eaeb, `pipeline v0.1.0+e14eaebb0a3e`: migrations up to 0063), made by
 * `fixtures/round33-home/make.ts` (run it from a clean checkout of a later commit to make that round's own), as SQL
 * dumps beside what that version printed of it (`printed/`) and `manifest.json` naming its runs. Three consecutive
 * sessions on the local exchange:
 * - 2026-05-29 under `after-close`, the offline PMs: entries with their brackets, filled at the next open;
 * - 2026-06-01 under `close`, the LLM PMs and chairman answered by the fake provider on 127.0.0.1 (recorded calls and
 *   costs), GEMINI's key refused (it abstains), Slack told; stopped by SIGTERM while waiting for the pitches and
 *   resumed; run with `--require-approval` and approved; then a what-if fork of it (CLAUDE's model swapped, a dry
 *   run), a manual `order` (CHATGPT) and a `close-all` (GROQ);
 * - 2026-06-02 under `close`, CLAUDE's and the chairman's key refused: CLAUDE abstains holding a position without
 *   exits (its protective OCO planned), the mechanical vote decides; left awaiting approval;
 * and a backtest of 2026-05-19 … 2026-05-21.
 *
 * What that version printed is compared byte for byte: none of these outputs reads the clock for this home (the only
 * field of `runs --json` that does, `activity`, is derived for a run left `running`, which this home has none of) —
 * but for the fields a later version added to a JSON answer (`ADDED_SINCE`), which every item must carry and which
 * are taken out before the comparison: a reader of that version's JSON reads every field it read, as it was.
 */
const FIXTURE = new URL("fixtures/round33-home/", import.meta.url).pathname

interface Manifest {
  readonly runs: ReadonlyArray<{ readonly id: string; readonly kind: string }>
  readonly awaiting: string
  readonly approved: string
  readonly backtest: string
}
const manifest = JSON.parse(readFileSync(join(FIXTURE, "manifest.json"), "utf8")) as Manifest
const printed = (file: string) => readFileSync(join(FIXTURE, "printed", file), "utf8")

/** The fields each item of a JSON answer gained since round 33, by the file that version printed it to. */
const ADDED_SINCE: Readonly<Record<string, ReadonlyArray<string>>> = {
  // round 35: the accounts a reconciliation of the day could not read though they traded (`null`: none)
  "runs.json": ["unread"]
}

/** `text` (a JSON array) without the fields `added` names, each asserted present in every item first. */
const withoutAdded = (text: string, added: ReadonlyArray<string>, what: string): string => {
  const items = JSON.parse(text) as ReadonlyArray<Record<string, unknown>>
  return `${JSON.stringify(items.map((item) => {
    const kept = { ...item }
    for (const field of added) {
      assert.property(item, field, `${what}: every item carries ${field}`)
      delete kept[field]
    }
    return kept
  }), null, 2)}\n`
}

interface ExchangeOrder {
  readonly account: string
  readonly client: string
  readonly orderClass: string
  readonly status: string
  readonly parent: string | null
}

/** Every order the local exchange holds, in the order it took them. */
const exchangeOrders = (home: string): ReadonlyArray<ExchangeOrder> => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  try {
    return db.prepare("SELECT account, client_order_id AS client, order_class AS orderClass, status, parent_id AS parent FROM exchange_orders ORDER BY seq").all()
      .map((row) => ({
        account: String(row["account"]),
        client: String(row["client"]),
        orderClass: String(row["orderClass"]),
        status: String(row["status"]),
        parent: row["parent"] === null ? null : String(row["parent"])
      }))
  } finally {
    db.close()
  }
}

/** The ids of the runs a backtest's own file holds (one a session), in their order. */
const backtestRuns = (file: string): ReadonlyArray<string> => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return db.prepare("SELECT id FROM runs ORDER BY id").all().map((row) => String(row["id"]))
  } finally {
    db.close()
  }
}

describe("a home the round-33 version made, read by the code of the day", () => {
  it("replays every run in it exactly", async () => {
    const home = restoredHome(FIXTURE)
    assert.isAtLeast(manifest.runs.length, 4)
    for (const { id, kind } of manifest.runs) {
      const replayed = await cliInProcess(home, ["replay", id])
      assert.strictEqual(replayed.code, 0, `${kind}\n${failureOf(["replay", id], replayed)}`)
      const all = id === manifest.awaiting ? "every stage it ran identical" : "every stage identical"
      assert.include(replayed.stdout + replayed.stderr, `replay of ${id}: ${all}`, kind)
    }
    // the backtest's sessions, each a run in its own file, replayed from there (`replay <id> --backtest <bt>`)
    const file = join(home, "backtests", `${manifest.backtest}.db`)
    const sessions = backtestRuns(file)
    assert.deepStrictEqual(sessions, ["2026-05-19-bt", "2026-05-20-bt", "2026-05-21-bt"])
    for (const id of sessions) {
      const args = ["replay", id, "--backtest", manifest.backtest]
      const replayed = await cliInProcess(home, args)
      assert.strictEqual(replayed.code, 0, failureOf(args, replayed))
      assert.include(replayed.stdout + replayed.stderr, `replay of ${id}: every stage identical`)
    }
  }, 120_000)

  it("prints its runs, leaderboards and equity as that version printed them", async () => {
    const home = restoredHome(FIXTURE)
    for (const [file, args] of [
      ["runs.json", ["runs", "--limit", "100", "--json"]],
      ["leaderboard.json", ["leaderboard", "--json"]],
      ["leaderboard-backtest.json", ["leaderboard", "--backtest", manifest.backtest, "--json"]],
      ["equity-live.csv", ["equity", "--csv"]],
      ["equity-backtest.csv", ["equity", "--backtest", manifest.backtest, "--csv"]]
    ] as const) {
      const now = await cliOk(home, args)
      const added = ADDED_SINCE[file]
      assert.strictEqual(added === undefined ? now : withoutAdded(now, added, args.join(" ")), printed(file), args.join(" "))
    }
  }, 120_000)

  it("approves the run left awaiting: its orders sent once, the run completed and replayed; approving again, or running its day again, sends nothing", async () => {
    const home = restoredHome(FIXTURE)
    const id = manifest.awaiting
    const before = exchangeOrders(home)
    const intended = intendedClientIds(await cliOk(home, ["show", id, "--json", "--full"]))
    assert.isAtLeast(intended.length, 2)
    const approved = await cliInProcess(home, ["approve", id])
    assert.strictEqual(approved.code, 0, failureOf(["approve", id], approved))
    assert.include(approved.stdout + approved.stderr, `run ${id} · completed`)
    const after = exchangeOrders(home)
    assert.deepStrictEqual(after.slice(0, before.length).map((o) => o.client), before.map((o) => o.client))
    const sent = after.slice(before.length).filter((o) => o.parent === null)
    assert.deepStrictEqual(sent.map((o) => o.client).sort(), [...intended].sort())
    // the abstaining CLAUDE's position got its protective exit
    assert.deepStrictEqual(sent.filter((o) => o.account === "CLAUDE").map((o) => o.orderClass), ["oco"])

    const again = await cliInProcess(home, ["approve", id])
    assert.strictEqual(again.code, 2, failureOf(["approve", id], again))
    const day = await cliInProcess(home, ["run", "daily", "--date", "2026-06-02"])
    assert.strictEqual(day.code, 0, failureOf(["run", "daily"], day))
    assert.deepStrictEqual(exchangeOrders(home).map((o) => o.client), after.map((o) => o.client))

    const replayed = await cliInProcess(home, ["replay", id])
    assert.strictEqual(replayed.code, 0, failureOf(["replay", id], replayed))
    assert.include(replayed.stdout + replayed.stderr, `replay of ${id}: every stage identical`)
  }, 120_000)

  it("rejects the run left awaiting: nothing sent, the day ended", async () => {
    const home = restoredHome(FIXTURE)
    const id = manifest.awaiting
    const before = exchangeOrders(home)
    const rejected = await cliInProcess(home, ["approve", id, "--reject"])
    assert.strictEqual(rejected.code, 0, failureOf(["approve", id, "--reject"], rejected))
    assert.deepStrictEqual(exchangeOrders(home), before)
    const runs = await cliOk(home, ["runs"])
    assert.match(runs, new RegExp(`^${id}\\s+2026-06-02\\s+rejected\\s`, "m"))
  }, 120_000)
})
