#!/usr/bin/env node
import { Effect } from "effect"
import { outcome, run } from "./Program.ts"

Effect.runPromiseExit(run(process.argv.slice(2))).then((exit) => {
  const { code, line } = outcome(exit)
  if (line) process.stderr.write(`error: ${line.split("\n")[0]}\n`)
  process.exitCode = code
})
