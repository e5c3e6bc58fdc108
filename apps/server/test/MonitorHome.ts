/**
 * A COUNCIL_HOME with something to monitor: one real run of the daily pipeline (through the CLI, in process), a
 * live book of `sessions` simulated on the bundled bars, and one backtest book; then `pnpm pipeline serve` on it as
 * a real process, on a free 127.0.0.1 port.
 */
import { spawn } from "node:child_process"
import { join } from "node:path"
import { bin, runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type Simulation, seedDatabase } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"

export { BACKTEST } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"

export interface MonitorHome {
  readonly home: string
  readonly runId: string
  readonly live: Simulation
}

export const prepareHome = async (sessions: number): Promise<MonitorHome> => {
  const home = tempHome()
  const run = await cliInProcess(home, ["run", "daily"])
  if (run.code !== 0) throw new Error(`run daily failed: ${run.stderr}`)
  const live = await seedDatabase(join(home, "council.db"), sessions)
  return { home, runId: runIdOf(run.stdout), live }
}

export interface ServerProcess {
  readonly url: string
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: () => string
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** `pnpm pipeline serve --port 0` on `home`; resolves once it prints its URL. */
export const startServer = (home: string, env: Record<string, string> = {}): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env }
    })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000)
    const exited = new Promise<number | null>((done) => child.on("close", done))
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const url = /monitor listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (url !== undefined) {
        clearTimeout(timer)
        resolve({ url, output: () => output, stop: (signal = "SIGTERM") => (child.kill(signal), exited) })
      }
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.on("close", (code) => reject(new Error(`serve exited (${code}):\n${output}`)))
  })
