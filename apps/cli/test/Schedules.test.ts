import { assert, describe, it } from "@effect/vitest"
import { join } from "node:path"
import { fingerprint, ordersAtExchange } from "./BrokerDoubles.ts"
import { cliAsync, runIdOf, tempHome } from "./CliHarness.ts"
import { holdDayLease } from "./DayLease.ts"
import { cliInProcess } from "./InProcess.ts"

const freshHome = () => join(tempHome(), "home")

/** Every order the local exchange holds was placed once; how many there are. */
const placedOnce = (home: string) => {
  const orders = ordersAtExchange(home)
  assert.deepStrictEqual([...orders.values()].filter((n) => n !== 1), [])
  return orders.size
}

describe("the close schedule on the local exchange (--at: the moment of the run, New York time)", () => {
  it("a run at 15:51 sends nothing (exit 1, nothing written); at 15:20 it warns and trades", async () => {
    const home = freshHome()
    const late = await cliInProcess(home, ["run", "daily", "--at", "15:51"])
    assert.strictEqual(late.code, 1, late.stderr)
    assert.include(late.stderr, "the market-on-close cutoff (15:50, 10 minutes before the 16:00 close) has passed, so nothing is sent")
    assert.strictEqual(fingerprint(home), "absent")

    const early = await cliInProcess(home, ["run", "daily", "--at", "15:20"])
    assert.strictEqual(early.code, 0, early.stderr)
    assert.match(early.stderr, /warning: it is .*15:20.*40 minutes before the 16:00 close/)
    assert.isAbove(placedOnce(home), 0)
    const shown = await cliInProcess(home, ["show", runIdOf(early.stdout)])
    assert.match(shown.stdout, /^schedule {2}close · decided at \d{4}-\d{2}-\d{2}T15:20:00-0[45]:00$/m)
  })
})

describe("--early-close-only (the 12:45 cron entry of a user who trades early closes)", () => {
  it("on a regular session it says so and does nothing (exit 0, nothing written); on an early close it trades at 12:45", async () => {
    const home = freshHome()
    const regular = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--at", "12:45", "--early-close-only"])
    assert.strictEqual(regular.code, 0, regular.stderr)
    assert.strictEqual(regular.stderr.trim(), "2025-11-26 closes at 16:00, not early: --early-close-only trades only the sessions that close early (nothing done)")
    assert.strictEqual(regular.stdout, "")
    assert.strictEqual(fingerprint(home), "absent")

    const early = await cliInProcess(home, ["run", "daily", "--date", "2025-11-28", "--early-close-only"])
    assert.strictEqual(early.code, 0, early.stderr)
    const shown = await cliInProcess(home, ["show", runIdOf(early.stdout)])
    assert.match(shown.stdout, /^schedule {2}close · decided at 2025-11-28T12:45:00-05:00$/m)
    assert.isAbove(placedOnce(home), 0)
  })
})

describe("run daily --json on a day it does not trade (exit 0): stdout is still one JSON document", () => {
  it("a closed market, a regular session under --early-close-only, a run awaiting approval, a rejected one (and approve --reject --json)", async () => {
    const home = freshHome()
    const json = (stdout: string) => JSON.parse(stdout) as { tradingDay: string; outcome: string; message: string; run?: { id: string } }
    const closed = await cliInProcess(home, ["run", "daily", "--date", "2026-06-06", "--json"])
    assert.strictEqual(closed.code, 0, closed.stderr)
    assert.deepStrictEqual(json(closed.stdout), {
      tradingDay: "2026-06-06",
      outcome: "market-closed",
      message: closed.stderr.trim()
    })
    const regular = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--early-close-only", "--json"])
    assert.strictEqual(regular.code, 0, regular.stderr)
    assert.deepInclude(json(regular.stdout), { tradingDay: "2025-11-26", outcome: "not-early-close" })
    assert.strictEqual(fingerprint(home), "absent")

    const stopped = await cliInProcess(home, ["run", "daily", "--require-approval"])
    const runId = runIdOf(stopped.stdout)
    const awaiting = await cliInProcess(home, ["run", "daily", "--json"])
    assert.strictEqual(awaiting.code, 0, awaiting.stderr)
    assert.deepInclude(json(awaiting.stdout), { outcome: "awaiting-approval" })
    assert.strictEqual(json(awaiting.stdout).run?.id, runId)
    const reject = await cliInProcess(home, ["approve", runId, "--reject", "--json"])
    assert.strictEqual(reject.code, 0, reject.stderr)
    assert.deepInclude(JSON.parse(reject.stdout) as object, { decision: "rejected", message: `run ${runId} rejected: nothing sent; the day 2026-06-08 is done` })
    assert.deepInclude((JSON.parse(reject.stdout) as { run: object }).run, { id: runId, status: "rejected" })
    const rejected = await cliInProcess(home, ["run", "daily", "--json"])
    assert.strictEqual(rejected.code, 0, rejected.stderr)
    assert.deepInclude(json(rejected.stdout), { outcome: "rejected", message: rejected.stderr.trim() })
  })
})

describe("a weekend or holiday on a home whose local exchange has traded a later day", () => {
  it("says the market is closed and exits 0 (not the session rule's refusal naming another day)", async () => {
    const home = freshHome()
    const day = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(day.code, 0, day.stderr)
    const before = fingerprint(home)
    for (const args of [["--date", "2026-06-06"], ["--date", "2025-12-25", "--dry-run"]]) {
      const closed = await cliInProcess(home, ["run", "daily", ...args])
      assert.strictEqual(closed.code, 0, closed.stderr)
      assert.strictEqual(closed.stderr.trim(), `the market is closed on ${args[1]} (no session that day): nothing to trade`)
    }
    assert.strictEqual(fingerprint(home), before)
  })
})

describe("the approval gate", () => {
  it("--require-approval stops before sending; an approval after the cutoff is refused; approve sends each order once", async () => {
    const home = freshHome()
    const stopped = await cliInProcess(home, ["run", "daily", "--at", "15:45", "--require-approval"])
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    const runId = runIdOf(stopped.stdout)
    assert.match(stopped.stdout, new RegExp(`^run ${runId} · awaiting approval · it would send (\\d+) orders?`, "m"))
    const wouldSend = Number(/it would send (\d+) order/.exec(stopped.stdout)![1])
    assert.isAbove(wouldSend, 0)
    assert.strictEqual(ordersAtExchange(home).size, 0)

    // a decision before the moment the run decided at is no decision of it: refused, nothing sent, still awaiting
    for (const args of [["--at", "15:40"], ["--at", "15:40", "--reject"]]) {
      const early = await cliInProcess(home, ["approve", runId, ...args])
      assert.deepStrictEqual(
        [early.code, early.stderr.trim()],
        [2, "error: --at 15:40: before the run's own moment (2026-06-08T15:45:00-04:00, when it decided): approve or reject it at 15:45 or later"]
      )
    }
    assert.strictEqual(ordersAtExchange(home).size, 0)

    const late = await cliInProcess(home, ["approve", runId, "--at", "15:50"])
    assert.strictEqual(late.code, 1, late.stderr)
    assert.include(late.stderr, `approval of ${runId} refused`)
    assert.strictEqual(ordersAtExchange(home).size, 0)

    const approved = await cliInProcess(home, ["approve", runId, "--at", "15:49"])
    assert.strictEqual(approved.code, 0, approved.stderr)
    assert.match(approved.stdout, new RegExp(`^run ${runId} · completed`, "m"))
    assert.strictEqual(placedOnce(home), wouldSend)

    const again = await cliInProcess(home, ["approve", runId])
    assert.strictEqual(again.code, 2)
    assert.strictEqual(again.stderr.trim(), `error: run ${runId} is not awaiting approval (it is completed)`)
  })

  it("--reject ends the day with nothing sent", async () => {
    const home = freshHome()
    const stopped = await cliInProcess(home, ["run", "daily", "--at", "15:45", "--require-approval"])
    const runId = runIdOf(stopped.stdout)
    const rejected = await cliInProcess(home, ["approve", runId, "--reject"])
    assert.strictEqual(rejected.code, 0, rejected.stderr)
    assert.match(rejected.stdout, new RegExp(`^run ${runId} rejected: nothing sent`, "m"))
    const shown = await cliInProcess(home, ["show", runId])
    assert.match(shown.stdout, /^status {4}rejected/m)
    assert.strictEqual(ordersAtExchange(home).size, 0)
  })
})

describe("one run of a day at a time", () => {
  it("a day whose lease a live process holds is refused naming it (exit 2); once that process dies the day is taken over", async () => {
    const home = freshHome()
    const other = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"])
    assert.strictEqual(other.code, 0, other.stderr)
    const probe = await cliInProcess(home, ["run", "daily", "--dry-run"])
    const day = /trading day (\d{4}-\d{2}-\d{2})/.exec(probe.stdout + probe.stderr)![1]!
    // another process of this host holds the day (as a run killed mid-way would have left its lease)
    const holder = holdDayLease(home, day)
    try {
      const refused = await cliInProcess(home, ["run", "daily"])
      assert.strictEqual(refused.code, 2, refused.stderr)
      assert.match(refused.stderr.trim(), new RegExp(`^error: run daily ${day}: daily:${day} is being run by run daily ${day} \\(pid ${holder.pid} on .+; last heartbeat \\d+ s ago\\); try again when it is done$`))
      assert.strictEqual(ordersAtExchange(home).size, 0)
    } finally {
      await holder.release()
    }
    const resumed = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    assert.include(resumed.stderr, `took over the day's lock from run daily ${day} (pid ${holder.pid}`)
    assert.isAbove(placedOnce(home), 0)
  })

  it("another day's run in progress on the local exchange's accounts holds a day back (exit 2, naming it); once it is done the day runs", async () => {
    const home = freshHome()
    const warm = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04", "--dry-run"])
    assert.strictEqual(warm.code, 0, warm.stderr)
    // a run of 2026-06-05 under way in another process, before it has traded anything (its lease names no run yet)
    const holder = holdDayLease(home, "2026-06-05")
    try {
      const refused = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"])
      assert.strictEqual(refused.code, 2, refused.stderr)
      assert.match(
        refused.stderr.trim(),
        new RegExp(`^error: 2026-06-05 is being run by run daily 2026-06-05 \\(pid ${holder.pid} on .+\\) and trades CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, COUNCIL on the local exchange too; positions carry across days, so 2026-06-08 waits: try again when it is done$`)
      )
      assert.strictEqual(ordersAtExchange(home).size, 0)
    } finally {
      await holder.release()
    }
    const ran = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"])
    assert.strictEqual(ran.code, 0, ran.stderr)
  })

  it("two simultaneous runs of a day place each order once; the one that did not run says why", async () => {
    const home = freshHome()
    const warm = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"])
    assert.strictEqual(warm.code, 0, warm.stderr)
    const both = await Promise.all([cliAsync(home, ["run", "daily"]), cliAsync(home, ["run", "daily"])])
    const placed = placedOnce(home)
    assert.isAbove(placed, 0)
    // the one that ran; the other found the day held (exit 2, naming the holder) or already done when it looked
    const ran = both.filter((r) => /· completed ·/.test(r.stdout) && !/already ran as/.test(r.stderr))
    assert.strictEqual(ran.length, 1, both.map((r) => r.stdout + r.stderr).join("\n---\n"))
    const other = both.find((r) => r !== ran[0])!
    if (other.code === 2) assert.match(other.stderr, /is being run by run daily \d{4}-\d{2}-\d{2} \(pid \d+/)
    else {
      assert.strictEqual(other.code, 0, other.stderr)
      assert.match(other.stderr, new RegExp(`already ran as ${runIdOf(ran[0]!.stdout)}; nothing is placed again`))
    }
  })
})
