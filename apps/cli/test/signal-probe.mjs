// Preloaded into a CLI process by EarlySignal.test.ts: sends the process SIGTERM as the module named by
// SIGNAL_PROBE_MODULE starts loading — a scheduler's stop while the CLI loads its modules, at a known point instead of
// a guessed moment. Plain JavaScript, so the probe itself loads nothing.
import { registerHooks } from "node:module"

const target = process.env.SIGNAL_PROBE_MODULE
let sent = false
registerHooks({
  load(url, context, next) {
    if (!sent && url.endsWith(target)) {
      sent = true
      process.kill(process.pid, "SIGTERM")
    }
    return next(url, context)
  }
})
