/**
 * Processes for the benchmarks: the CLI, servers in their own processes (optionally pinned to one core with
 * `taskset`), and the CPU time a process has used (from `/proc/<pid>/stat`, Linux).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"

export const root = new URL("..", import.meta.url).pathname
export const bin = join(root, "apps/cli/src/bin.ts")

/** Whether `taskset` can pin a process to a core here. */
export const canPin = spawnSync("taskset", ["-c", "0", "true"]).status === 0

/** `node …args`, pinned to `cpu` when given and `taskset` exists. */
export const nodeCommand = (args: ReadonlyArray<string>, cpu?: number): readonly [string, ReadonlyArray<string>] =>
  cpu !== undefined && canPin ? ["taskset", ["-c", String(cpu), process.execPath, ...args]] : [process.execPath, args]

/** Pins this process (the benchmark's client) to `cpu`, when `taskset` exists. */
export const pinSelf = (cpu: number) => {
  if (canPin) spawnSync("taskset", ["-cp", String(cpu), String(process.pid)])
}

export interface Served {
  readonly url: string
  readonly process: ChildProcess
  /** CPU time (user + system) the server has used so far, in milliseconds. */
  readonly cpuMs: () => number
  readonly stop: () => Promise<void>
}

const clockTicks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100

/** User + system CPU milliseconds of a running process. */
export const cpuMsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

export const hasProc = existsSync("/proc/self/stat")

/** Starts a server that prints `listening on <url>` and resolves once it does. */
export const startServer = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, cpu?: number): Promise<Served> =>
  new Promise((resolve, reject) => {
    const [command, argv] = nodeCommand(args, cpu)
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url === undefined) return
      child.stdout.removeAllListeners("data")
      child.stdout.resume()
      resolve({
        url,
        process: child,
        cpuMs: () => cpuMsOf(child.pid!),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done()
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${err}`)))
  })

/** `pnpm pipeline …` without pnpm, on `home`; fails on a non-zero exit. */
export const cli = (home: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): string => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, ...env, COUNCIL_HOME: home },
    encoding: "utf8"
  })
  if (r.status !== 0) throw new Error(`pipeline ${args.join(" ")} exited with ${r.status}: ${r.stderr}`)
  return r.stdout
}

export interface KeyPair {
  readonly account: string
  readonly keyId: string
  readonly secretKey: string
}

export const exchangeKeys = (home: string): ReadonlyArray<KeyPair> => JSON.parse(cli(home, ["exchange", "keys", "--json"]))
