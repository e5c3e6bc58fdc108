// Preloaded into a CLI process by Tracing.test.ts: records the URL of every module the process loads and writes
// them as JSON to the file named by MODULE_PROBE_FILE when it exits. Plain JavaScript, so it loads nothing itself.
import { registerHooks } from "node:module"
import fs from "node:fs"

const modules = new Set()
registerHooks({
  load(url, context, next) {
    modules.add(url)
    return next(url, context)
  }
})
process.on("exit", () => fs.writeFileSync(process.env.MODULE_PROBE_FILE, JSON.stringify([...modules])))
