import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { type AddressInfo, connect } from "node:net"
import { createServer } from "node:http"
import { existsSync, realpathSync, symlinkSync } from "node:fs"
import { delimiter, join } from "node:path"
import { bin, cliAsync, spawnCli, tempHome } from "./CliHarness.ts"
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

  // SIGTERM reaches the server itself (nothing between pnpm and node: scripts/pipeline.sh execs the project's node);
  // SIGKILL leaves it to notice its launcher is gone
  const cases = [
    [launchers[0], "SIGTERM", /SIGTERM: stopping\nstopped/],
    [launchers[0], "SIGKILL", /the launching pnpm exited: stopping\nstopped/],
    [launchers[1], "SIGKILL", /the launching pnpm exited: stopping\nstopped/]
  ] as const
  for (const [[via, script], signal, said] of cases) {
    it(`${signal} to \`pnpm pipeline exchange serve\` (pnpm run through ${via}) closes the server's port, not before`, async () => {
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
      pnpm.kill(signal)
      let open = true
      for (let i = 0; i < 100 && open; i++) {
        await new Promise((r) => setTimeout(r, 100))
        open = await accepts(port)
      }
      assert.isFalse(open, `port ${port} still open 10 s after pnpm got ${signal}:\n${out}`)
      // the port closes before the server's last line is written: wait (bounded) for every writer of the pipe to end
      if (!pnpm.stdout.closed) {
        await new Promise((r) => {
          const timer = setTimeout(r, 10_000)
          pnpm.stdout.once("close", () => r(clearTimeout(timer)))
        })
      }
      assert.match(out, said)
    })
  }

  it("kill -TERM of `pnpm pipeline run daily` (what a unit's stop or a cron user's kill sends) interrupts the run itself: exit 130, no CLI left running", async () => {
    let asked: () => void = () => {}
    const waiting = new Promise<void>((resolve) => (asked = resolve))
    // a market data feed that never answers: the command is busy, and would stay so for a minute on its own
    const feed = createServer(() => asked())
    await new Promise<void>((done) => feed.listen(0, "127.0.0.1", done))
    try {
      const pnpm = spawn(process.execPath, [pnpmScript(), "-s", "pipeline", "run", "daily"], {
        cwd: repository,
        env: {
          PATH: process.env["PATH"] ?? "",
          HOME: process.env["HOME"] ?? "",
          COUNCIL_HOME: tempHome(),
          COUNCIL_DATA: "alpaca",
          COUNCIL_DATA_URL: `http://127.0.0.1:${(feed.address() as AddressInfo).port}`,
          ALPACA_PERSONAL_KEY_ID: "AKFEEDKEY0001",
          ALPACA_PERSONAL_SECRET_KEY: "feed-secret-never-shown"
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stderr = ""
      pnpm.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      // every process holding the pipe has exited: pnpm, and the CLI it started (an orphan would hold it open)
      const closed = new Promise<void>((resolve) => pnpm.stderr.once("close", () => resolve()))
      const exited = new Promise<number | null>((resolve) => pnpm.once("exit", (code) => resolve(code)))
      await waiting
      pnpm.kill("SIGTERM")
      assert.strictEqual(await exited, 130, stderr)
      await closed
      assert.match(stderr, /^error: interrupted outside its run's stages/m)
      assert.notMatch(stderr, /cannot read|timed out/)
    } finally {
      feed.closeAllConnections()
      await new Promise<void>((done) => feed.close(() => done()))
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
