import { assert } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"

export const bin = new URL("../src/bin.ts", import.meta.url).pathname

/**
 * `stderr` without the time each line carries when stderr is not a terminal (`StderrLines`), as a terminal shows
 * it: what the tests check is what the lines say (`StderrLog.test.ts` checks the stamps).
 */
export const unstamped = (stderr: string): string => stderr.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /gm, "")

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * The homes to remove when the process exits, shared by every test file the worker process runs: one "exit"
 * listener for them all (one per home passed Node's limit of 10 and printed a MaxListenersExceededWarning).
 */
const homes = (): Set<string> => {
  const global = globalThis as typeof globalThis & { councilCliTempHomes?: Set<string> }
  if (global.councilCliTempHomes === undefined) {
    const dirs = new Set<string>()
    global.councilCliTempHomes = dirs
    process.on("exit", () => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  }
  return global.councilCliTempHomes
}

/** A throwaway COUNCIL_HOME, removed after the test file (`removeTempHomes`) or when the process exits. */
export const tempHome = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "council-cli-"))
  homes().add(dir)
  return dir
}

/**
 * Removes the homes `tempHome` made so far. The cli and server projects' setup file (`test/CleanUp.ts`) runs it after
 * each test file: vitest ends its workers without their "exit" event, which left every home behind.
 */
export const removeTempHomes = (): void => {
  const dirs = homes()
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }))
  dirs.clear()
}

/** Runs `pnpm pipeline …` as a real process (the same entry point, without pnpm). */
export const cli = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): CliResult => {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env },
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024
  })
  return { code: result.status, stdout: result.stdout, stderr: unstamped(result.stderr) }
}

export const runIdOf = (output: string): string => {
  const match = /run (\d{4}-\d{2}-\d{2}-[0-9a-f]{8})/.exec(output)
  if (!match?.[1]) throw new Error(`no run id in:\n${output}`)
  return match[1]
}

/**
 * Like `cli`, without blocking, so independent invocations run side by side; `nodeArgs` go to node (e.g. `--import`);
 * `under` is a command node runs under (e.g. `setpriv …` to drop capabilities).
 */
export const cliAsync = (
  home: string,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  nodeArgs: ReadonlyArray<string> = [],
  under: ReadonlyArray<string> = []
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const command = [...under, process.execPath, ...nodeArgs, bin, ...args]
    const child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr: unstamped(stderr) }))
  })

/** The words a failed command's assertion gives: the command, its exit code and what it wrote. */
export const failureOf = (args: ReadonlyArray<string>, r: CliResult): string =>
  `${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`

/** `cliAsync` for a command that must succeed: any other exit fails the test, naming the command; gives its stdout. */
export const cliAsyncOk = async (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<string> => {
  const r = await cliAsync(home, args, env)
  assert.strictEqual(r.code, 0, failureOf(args, r))
  return r.stdout
}

/** The client order ids the run's risk gate planned, from `show <run> --json --full`'s stdout. */
export const intendedClientIds = (showJson: string): ReadonlyArray<string> => {
  const bundle = JSON.parse(showJson) as { checkpoints: ReadonlyArray<{ stage: string; output: { intents?: ReadonlyArray<{ clientOrderId: string }> } }> }
  return bundle.checkpoints.find((c) => c.stage === "RiskApproval")!.output.intents!.map((i) => i.clientOrderId)
}

/**
 * The CLI in a process of its own that the test watches and signals while it runs (`cliAsync` only gives its end):
 * `output` grows as it writes, `exited` resolves with its exit code and the signal that ended it.
 */
export const spawnCli = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const raw = { stdout: "", stderr: "" }
  const output = {
    get stdout() {
      return raw.stdout
    },
    get stderr() {
      return unstamped(raw.stderr)
    }
  }
  child.stdout.setEncoding("utf8").on("data", (d: string) => (raw.stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (raw.stderr += d))
  const exited = new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })))
  return { child, output, exited }
}

/** What `home`'s spend ledger holds for `run` of book `book` (a backtest's id), read beside the CLI and the server. */
export const spentOn = (home: string, book: string, run: string): number => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  try {
    return Number((db.prepare("SELECT SUM(cost_usd) AS c FROM llm_spend WHERE book = ? AND run_id = ?").get(book, run) as { c: number | null }).c)
  } finally {
    db.close()
  }
}
