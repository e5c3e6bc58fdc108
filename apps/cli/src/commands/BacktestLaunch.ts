/**
 * `POST /api/backtests` for `serve`: starts `pnpm pipeline backtest` as a child process with the server's
 * environment, answers with the backtest's book once the child says it started, and writes the child's output to
 * `<id>.log` beside the backtest's database (its owner's alone: `PrivateFile`). A child still running when the
 * server stops gets SIGTERM: its backtest is marked interrupted and `backtest --resume <id>` continues it.
 *
 * Gotcha: the request's values go to the child as `--flag=value`, never as an argument of their own: an account
 * named `--version` would otherwise be read as that flag.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createWriteStream } from "node:fs"
import { join } from "node:path"
import { Writable } from "node:stream"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { openPrivateFile } from "@council/io/PrivateFile"
import { BacktestLauncher } from "@council/server"
import { BookId, TradeLedger } from "@council/tracking"
import { backtestsDir } from "../BacktestFiles.ts"
import { STAMP, unstampedLine } from "../StderrLines.ts"
import { NodeSqliteClient } from "@council/store"

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url))
// the child's stderr is a pipe: its lines come stamped with their time (`StderrLines`)
const STARTED = new RegExp(`^(?:${STAMP})?backtest (\\S+) started: `, "m")

/** `file` as the child's log, its owner's alone (`PrivateFile`); where it cannot be written, no log: the backtest goes on. */
const openLog = (file: string): NodeJS.WritableStream => {
  try {
    return createWriteStream(file, { fd: openPrivateFile(file) }).on("error", () => {})
  } catch {
    return new Writable({ write: (_chunk, _encoding, done) => done() })
  }
}

/** The child's last line, without its time and the CLI's `error: ` prefix. */
const lastLine = (output: string) => unstampedLine(output.trim().split("\n").at(-1) ?? "").replace(/^error: /, "")

export const launcher = Layer.effect(
  BacktestLauncher.BacktestLauncher,
  Effect.gen(function*() {
    const dir = yield* backtestsDir
    const ledger = yield* TradeLedger
    const running = new Set<ChildProcess>()
    yield* Effect.addFinalizer(() => Effect.sync(() => running.forEach((child) => child.kill("SIGTERM"))))
    const spawnBacktest = (args: ReadonlyArray<string>) =>
      Effect.callback<string, BacktestLauncher.BacktestLaunchFailure>((resume) => {
        const child = spawn(process.execPath, [BIN, "backtest", ...args], { env: process.env, stdio: ["ignore", "pipe", "pipe"] })
        running.add(child)
        let output = ""
        let log: NodeJS.WritableStream | undefined
        const collect = (chunk: Buffer) => {
          if (log !== undefined) return void log.write(chunk)
          output += chunk.toString("utf8")
          const id = STARTED.exec(output)?.[1]
          if (id === undefined) return
          NodeSqliteClient.ensureDirectory(dir)
          log = openLog(join(dir, `${id}.log`))
          log.write(output)
          resume(Effect.succeed(id))
        }
        child.stdout!.on("data", collect)
        child.stderr!.on("data", collect)
        child.on("error", (error) => {
          running.delete(child)
          if (log === undefined) resume(Effect.fail(new BacktestLauncher.BacktestLaunchFailure({ message: `the backtest could not start: ${error.message}` })))
        })
        child.on("close", (code) => {
          running.delete(child)
          log?.end()
          if (log === undefined) resume(Effect.fail(new BacktestLauncher.BacktestLaunchFailure({ message: lastLine(output) || `the backtest exited with code ${code}` })))
        })
      })
    return BacktestLauncher.BacktestLauncher.of({
      start: (request) =>
        Effect.gen(function*() {
          // each value joined to its flag (`--accounts=…`): a request's text is never read as a flag of its own
          const id = yield* spawnBacktest([
            `--from=${request.from}`,
            `--to=${request.to}`,
            ...(request.accounts === undefined ? [] : [`--accounts=${request.accounts.join(",")}`]),
            ...(request.pms === undefined ? [] : [`--pms=${request.pms}`])
          ])
          const book = yield* ledger.book(BookId.make(id)).pipe(Effect.orElseSucceed(() => Option.none()))
          return yield* Option.match(book, {
            onNone: () => Effect.fail(new BacktestLauncher.BacktestLaunchFailure({ message: `backtest ${id} started but its book cannot be read` })),
            onSome: Effect.succeed
          })
        })
    })
  })
)
