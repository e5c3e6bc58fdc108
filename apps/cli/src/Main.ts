// The CLI process (loaded by bin.ts once Node's compile cache is on): runs one command and sets the exit code.
import * as Effect from "effect/Effect"
import { outcome, run } from "./Program.ts"

Effect.runPromiseExit(run(process.argv.slice(2))).then((exit) => {
  const { code, line } = outcome(exit)
  if (line) process.stderr.write(`error: ${line.split("\n")[0]}\n`)
  process.exitCode = code
})
