// Preloaded into a CLI process by Startup.test.ts: records every module it loads and every bars file it reads
// (a CSV, or its parsed copy in the bars cache),
// and writes them as JSON to the file named by LOAD_PROBE_FILE when the process exits. Plain JavaScript, so the
// probe itself loads nothing.
import { registerHooks, syncBuiltinESMExports } from "node:module"
import fs from "node:fs"

const modules = new Set()
const barReads = []
registerHooks({
  load(url, context, next) {
    modules.add(url)
    return next(url, context)
  }
})
const readFileSync = fs.readFileSync
fs.readFileSync = function(path, ...rest) {
  if (/\.csv$|council-bars-cache/.test(String(path))) barReads.push(String(path))
  return readFileSync.call(this, path, ...rest)
}
syncBuiltinESMExports()
process.on("exit", () => fs.writeFileSync(process.env.LOAD_PROBE_FILE, JSON.stringify({ modules: [...modules], barReads })))
