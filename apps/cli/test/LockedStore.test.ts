import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { bin, cliAsync, tempHome, unstamped } from "./CliHarness.ts"
import { ordersAtExchange } from "./BrokerDoubles.ts"
import { accountsConfig, holdFirstOrder, serveExchange } from "./ExchangeProcess.ts"

describe("a run whose store another process locks part-way", () => {
  it("stops naming the locked file and the command that resumes it, which places every order once", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    const proxy = await holdFirstOrder(served.url)
    const home = tempHome()
    // the run's wait for the lock is shortened from SQLite's 5 s: it is held until the run has failed anyway
    const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig({ ...served, url: proxy.url }), COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "200" }
    try {
      const child = spawn(process.execPath, [bin, "run", "daily"], {
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
      await proxy.held
      const db = new DatabaseSync(join(home, "council.db"))
      db.exec("BEGIN EXCLUSIVE")
      proxy.release()
      const code = await exited
      db.exec("COMMIT")
      db.close()

      assert.strictEqual(code, 1, stderr)
      const line = unstamped(stderr).trim().split("\n").at(-1) ?? ""
      assert.match(line, /^error: the run stopped part-way: the store failed: .*database is locked \(resume with: pnpm pipeline run daily --date 2026-06-08\) — another process held the write lock of /)
      assert.include(line, `${join(home, "council.db")} (`)
      assert.match(line, /nothing was lost; run the command again once it lets go$/)

      const again = await cliAsync(home, ["run", "daily"], env)
      assert.strictEqual(again.code, 0, again.stdout + again.stderr)
      assert.match(again.stderr, /^Resuming run /m)
      const held = ordersAtExchange(exchangeHome)
      assert.isAbove(held.size, 0)
      for (const [id, n] of held) assert.strictEqual(n, 1, `${id} is at the exchange ${n} times`)
    } finally {
      await proxy.close()
      await served.stop()
    }
  })
})
