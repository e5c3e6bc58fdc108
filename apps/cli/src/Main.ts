// The CLI process (loaded by bin.ts once Node's compile cache is on): runs one command and sets the exit code.
import * as Effect from "effect/Effect"
import { closed, closing } from "./Listening.ts"
import { outcome, run } from "./Program.ts"
import { toStderr } from "./StderrLines.ts"

// a reader that went away (`pnpm -s pipeline serve | head -1`) takes the rest of the output with it, not the
// command: what is written to a closed stdout is dropped, and the command ends as it would have, with its exit code
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error
})

// a signal once the command's outcome is known ends it with that outcome's code, not 130/143 (`Listening.closing`)
Effect.runPromiseExit(run(process.argv.slice(2), closing)).then((exit) => {
  const { code, line } = outcome(exit)
  if (line) toStderr(`error: ${line.split("\n")[0]}\n`)
  process.exitCode = code
  closed(code)
})
