import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { type AddressInfo, connect } from "node:net"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { existsSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs"
import { delimiter, join } from "node:path"
import { bin, cliAsync, spawnCli, tempHome, unstamped } from "./CliHarness.ts"
import { accountsConfig, holdFirstOrder, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { startReceiver } from "./OtlpReceiver.ts"

const repository = new URL("../../../", import.meta.url).pathname

/** pnpm's own script, run with this node: the spawned process is pnpm itself, as in a shell. */
const pnpmScript = (): string => {
  const dir = (process.env["PATH"] ?? "").split(delimiter).find((d) => existsSync(join(d, "pnpm")))
  if (dir === undefined) throw new Error("pnpm is not on the PATH")
  return realpathSync(join(dir, "pnpm"))
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => (socket.destroy(), resolve(true)))
    socket.once("error", () => resolve(false))
  })

/**
 * `pnpm -s pipeline backtest` of 2023 for COUNCIL in a fresh home, its own process group, once it reports a rate
 * (its sessions running) or has closed its stderr; `closed`: every process holding that pipe has exited.
 */
const runningBacktest = async () => {
  const home = tempHome()
  const pnpm = spawn(process.execPath, [pnpmScript(), "-s", "pipeline", "backtest", "--from", "2023-01-03", "--to", "2023-12-29", "--accounts", "COUNCIL"], {
    cwd: repository,
    detached: true,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  const closed = new Promise<void>((resolve) => pnpm.stderr.once("close", () => resolve()))
  const running = new Promise<void>((resolve) =>
    pnpm.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d
      if (stderr.includes(" sessions/s ")) resolve()
    }))
  await Promise.race([running, closed])
  return { closed, home, pnpm, stderr: () => stderr }
}

describe("no command hangs or outlives its launcher", () => {
  it("a COUNCIL_HOME under /proc ends at once: nothing to read for runs, a one-line refusal for run daily", async () => {
    const [runs, day] = await Promise.all([
      cliAsync("/proc/1/council", ["runs"]),
      cliAsync("/proc/1/council", ["run", "daily"])
    ])
    assert.deepStrictEqual([runs.code, runs.stdout.trim()], [0, "no runs yet — start one with: pnpm pipeline run daily"])
    assert.strictEqual(day.code, 2, day.stderr)
    assert.match(day.stderr.trim(), /^error: COUNCIL_HOME: cannot create \/proc\/1\/council: E[A-Z]+$/)
    assert.isFalse(existsSync("/proc/1/council"))
  })

  it("a reader that stops reading (`serve | head -1`) does not crash the command: it serves on, and stops cleanly", async () => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome() },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    const port = await new Promise<number>((resolve, reject) => {
      let out = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
        if (match?.[1]) resolve(Number(match[1]))
      })
      child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}${stderr}`)))
    })
    child.stdout.destroy() // as `head -1` exits after its line
    // the server writes to its stdout again when it stops; it must still be serving until then
    await new Promise((r) => setTimeout(r, 500))
    assert.isTrue(await accepts(port), `serve stopped once its reader went away:\n${stderr}`)
    child.kill("SIGTERM")
    assert.strictEqual(await exited, 0, stderr)
    assert.notMatch(stderr, /EPIPE|Error|at /)
  })

  const launchers = [
    ["its script", () => pnpmScript()],
    ["a symlink to its script, as a global install's /usr/bin/pnpm is", () => {
      const link = join(tempHome(), "pnpm")
      symlinkSync(pnpmScript(), link)
      return link
    }]
  ] as const

  for (const [via, script] of launchers) {
    it(`kill -TERM of \`pnpm pipeline exchange serve\` (pnpm run through ${via}) closes the server's port, not before`, async () => {
      const pnpm = spawn(process.execPath, [script(), "-s", "pipeline", "exchange", "serve", "--port", "0"], {
        cwd: repository,
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome() },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      pnpm.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
      const port = await new Promise<number>((resolve, reject) => {
        pnpm.stdout.on("data", () => {
          const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
          if (match?.[1]) resolve(Number(match[1]))
        })
        pnpm.once("exit", (code) => reject(new Error(`pnpm exited with ${code}: ${out}`)))
      })
      // the launcher is watched every 250 ms: a server that took its running pnpm for gone would be closed by now
      await new Promise((r) => setTimeout(r, 1000))
      assert.isTrue(await accepts(port), `the server stopped while its pnpm was running:\n${out}`)
      pnpm.kill("SIGTERM")
      let open = true
      for (let i = 0; i < 100 && open; i++) {
        await new Promise((r) => setTimeout(r, 100))
        open = await accepts(port)
      }
      assert.isFalse(open, `port ${port} still open 10 s after pnpm got SIGTERM:\n${out}`)
      // the port closes before the server's last line is written: wait (bounded) for every writer of the pipe to end
      if (!pnpm.stdout.closed) {
        await new Promise((r) => {
          const timer = setTimeout(r, 10_000)
          pnpm.stdout.once("close", () => r(clearTimeout(timer)))
        })
      }
      assert.match(out, /the launching pnpm exited: stopping\nstopped/)
    })
  }

  it("a launcher's script that is not there as the command starts (an `npm install -g pnpm` replacing it) is no sign that the launcher exited: run daily runs", async () => {
    const missing = join(tempHome(), "pnpm-being-reinstalled", "bin", "pnpm.cjs")
    const r = await cliAsync(tempHome(), ["run", "daily"], { npm_execpath: missing })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.notMatch(r.stderr, /launching pnpm exited/)
  })

  it("a command run in-process looks for its launcher in the environment it was given, not in the test runner's", async () => {
    // a pnpm script no ancestor of this process runs: had the command read this process's npm_execpath (a test
    // runner started by `pnpm test` has one), its launcher would look gone, and it would SIGTERM this process
    const script = join(tempHome(), "pnpm.cjs")
    writeFileSync(script, "")
    const before = process.env["npm_execpath"]
    process.env["npm_execpath"] = script
    try {
      const r = await cliInProcess(tempHome(), ["run", "daily"])
      assert.strictEqual(r.code, 0, r.stderr)
    } finally {
      if (before === undefined) delete process.env["npm_execpath"]
      else process.env["npm_execpath"] = before
    }
  })

  /**
   * `pnpm pipeline run daily` (pnpm's own script) in a process group of its own, in a fresh home, with `env` on top
   * of PATH and HOME; `stderr()` is what it wrote there so far, `closed` resolves once every process holding the
   * pipe has exited.
   */
  const launchDaily = (env: Record<string, string>) => {
    const pnpm = spawn(process.execPath, [pnpmScript(), "-s", "pipeline", "run", "daily"], {
      cwd: repository,
      detached: true,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    pnpm.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const closed = new Promise<void>((resolve) => pnpm.stderr.once("close", () => resolve()))
    return { pnpm, closed, stderr: () => stderr }
  }

  /**
   * `pnpm pipeline run daily` (pnpm's own script) in a process group of its own, with a market data feed that never
   * answers: the command is busy choosing its day, and would stay so for minutes on its own. `stopped` resolves with
   * everything written to the pipe once every process holding it has exited (an orphaned CLI would hold it open).
   */
  const busyDailyRun = async () => {
    let asked: () => void = () => {}
    const waiting = new Promise<void>((resolve) => (asked = resolve))
    const feed = testServer(() => asked())
    await new Promise<void>((done) => feed.listen(0, "127.0.0.1", done))
    const { closed, pnpm, stderr } = launchDaily({
      COUNCIL_DATA: "alpaca",
      COUNCIL_DATA_URL: `http://127.0.0.1:${(feed.address() as AddressInfo).port}`,
      ALPACA_PERSONAL_KEY_ID: "AKFEEDKEY0001",
      ALPACA_PERSONAL_SECRET_KEY: "feed-secret-never-shown"
    })
    await waiting
    return {
      pid: pnpm.pid!,
      stopped: closed.then(async () => {
        feed.closeAllConnections()
        await new Promise<void>((done) => feed.close(() => done()))
        return unstamped(stderr())
      })
    }
  }

  it("kill -TERM of the pnpm of `pnpm pipeline run daily` alone (a cron user's kill) stops the run too, as interrupted: no CLI left running", async () => {
    const run = await busyDailyRun()
    process.kill(run.pid, "SIGTERM")
    const stderr = await run.stopped
    assert.match(stderr, /^the launching pnpm exited \(it was sent a signal\): stopping as on SIGTERM$/m)
    assert.match(stderr, /^error: interrupted outside its run's stages/m)
    assert.notMatch(stderr, /cannot reach|Headers Timeout/)
  }, 120_000)

  it("kill -TERM of the pnpm of `pnpm pipeline backtest` alone stops the backtest as interrupted, resumable: no CLI left running", async () => {
    const { closed, home, pnpm, stderr } = await runningBacktest()
    process.kill(pnpm.pid!, "SIGTERM")
    // every process holding the pipe has exited: an orphaned backtest would hold it open to its last session
    await closed
    const lines = unstamped(stderr())
    assert.match(lines, /^the launching pnpm exited \(it was sent a signal\): stopping as on SIGTERM$/m)
    const id = /^error: backtest (\S+) interrupted; continue it with: pnpm pipeline backtest --resume \1$/m.exec(lines)?.[1]
    assert.isDefined(id, lines)
    const listed = await cliAsync(home, ["backtests", "--json"])
    assert.deepStrictEqual((JSON.parse(listed.stdout) as ReadonlyArray<{ id: string; status: string }>).map((b) => [b.id, b.status]), [[id, "interrupted"]])
  }, 120_000)

  it("SIGINT to the process `pnpm pipeline backtest` runs (the child of pnpm's shell, `… node apps/cli/src/bin.ts backtest …`) stops the backtest part-way, saying how to resume it", async () => {
    const { closed, home, pnpm, stderr } = await runningBacktest()
    // pnpm runs its script through `sh -c`; what that shell runs is the process a user finds as the command
    const children = (pid: number) =>
      readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((c) => c !== "").map(Number)
    const [shell] = children(pnpm.pid!)
    const [command] = children(shell!)
    assert.isDefined(command, unstamped(stderr()))
    assert.match(readFileSync(`/proc/${command}/cmdline`, "utf8").replaceAll("\0", " "), /node apps\/cli\/src\/bin\.ts backtest /)
    process.kill(command!, "SIGINT")
    await closed
    const lines = unstamped(stderr())
    const id = /^error: backtest (\S+) interrupted; continue it with: pnpm pipeline backtest --resume \1$/m.exec(lines)?.[1]
    assert.isDefined(id, lines)
    // stopped part-way: the book says interrupted (not completed), and its last session was never reached
    assert.notInclude(lines, "250/250")
    const listed = await cliAsync(home, ["backtests", "--json"])
    assert.deepStrictEqual((JSON.parse(listed.stdout) as ReadonlyArray<{ id: string; status: string }>).map((b) => [b.id, b.status]), [[id, "interrupted"]])
  }, 120_000)

  it("SIGTERM to the whole process group of `pnpm pipeline run daily` mid-Execution (systemd's stop, Ctrl-C's SIGINT) reaches the run once: it stops part-way as interrupted, not killed by a second signal", async () => {
    const served = await serveExchange(tempHome())
    const proxy = await holdFirstOrder(served.url)
    try {
      const { closed, pnpm, stderr } = launchDaily({ TRADING_ACCOUNTS_CONFIG: accountsConfig({ ...served, url: proxy.url }) })
      const first = await Promise.race([proxy.held.then(() => "held"), closed.then(() => "exited")])
      assert.strictEqual(first, "held", stderr())
      process.kill(-pnpm.pid!, "SIGTERM")
      await closed
      assert.match(unstamped(stderr()), /^error: interrupted: run \S+ stopped part-way; continue it with: pnpm pipeline run daily --date \d{4}-\d{2}-\d{2}$/m)
    } finally {
      await proxy.close()
      await served.stop()
    }
  }, 120_000)

  it("a SIGTERM after a run completed and said so, while the process closes (its spans still being sent), exits 0 as the run did, not 143", async () => {
    const silent = await startReceiver("never")
    try {
      const { child, output, exited } = spawnCli(tempHome(), ["run", "daily"], { OTEL_EXPORTER_OTLP_ENDPOINT: silent.url })
      // the run has printed that it completed, and the process is sending its spans to a receiver that never answers
      await new Promise<void>((resolve, reject) => {
        const check = setInterval(() => {
          if (/^run \S+ · completed · /m.test(output.stdout) && silent.requests.length > 0) resolve(clearInterval(check))
        }, 20)
        child.once("exit", (code) => reject(new Error(`run daily exited (${code}) before it was signalled:\n${output.stdout}${output.stderr}`)))
      })
      child.kill("SIGTERM")
      const { code, signal } = await exited
      assert.deepStrictEqual([code, signal], [0, null], output.stderr)
    } finally {
      await silent.close()
    }
  }, 60_000)
})
