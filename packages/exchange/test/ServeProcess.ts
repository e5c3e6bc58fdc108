/**
 * `pnpm pipeline …` and `exchange serve` as real processes on a throwaway COUNCIL_HOME, for the CLI tests.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { join } from "node:path"
import { inject } from "vitest"
import { Effect } from "effect"

const bin = new URL("../../../apps/cli/src/bin.ts", import.meta.url).pathname

/** A fresh COUNCIL_HOME in the run's temporary directory (removed when the run ends, TempRoot.ts) and its env. */
export const freshHome = () => {
  const home = mkdtempSync(join(inject("exchangeTempRoot"), "cli-"))
  return { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home }
}

export type Env = ReturnType<typeof freshHome>

/** `pnpm pipeline …`, run to its end. */
export const cliIn = (env: Env) => (args: ReadonlyArray<string>) =>
  Effect.sync(() => {
    const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: "utf8", timeout: 60_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  })

/** Starts `exchange serve` and resolves with the process, its base URL and what it printed once it listens (killed on scope exit). */
export const startServerIn = (env: Env) => (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(listening(env, args), ({ child }) =>
    Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    }))

const listening = (env: Env, args: ReadonlyArray<string>) =>
  Effect.callback<{ readonly child: ChildProcess; readonly url: string; readonly banner: string }, Error>((resume) => {
    const child = spawn(process.execPath, [bin, "exchange", "serve", ...args], { env })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/\S+)[\s\S]*stop with Ctrl-C/.exec(out)
      if (match?.[1]) resume(Effect.succeed({ child, url: match[1], banner: out }))
    })
    child.on("exit", (code) => resume(Effect.fail(new Error(`exchange serve exited with ${code}: ${out}`))))
  })

/** SIGINT, then the exit code and what it printed from then on. */
export const stop = (child: ChildProcess) =>
  Effect.callback<{ readonly code: number | null; readonly stdout: string }>((resume) => {
    let out = ""
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
    child.on("exit", (code) => resume(Effect.succeed({ code, stdout: out })))
    child.kill("SIGINT")
  })
