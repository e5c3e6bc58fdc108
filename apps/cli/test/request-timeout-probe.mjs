// Preloaded into a CLI process by Tracing.test.ts: records every timeout an outgoing HTTP request arms
// (`request.setTimeout`: the OTLP exporter bounds each export with one) and each that fired, and writes them as
// JSON to the file named by REQUEST_TIMEOUT_PROBE_FILE when the process exits. Plain JavaScript, loads only node:.
import fs from "node:fs"
import http from "node:http"

const timeouts = []
const setTimeout = http.ClientRequest.prototype.setTimeout
http.ClientRequest.prototype.setTimeout = function (ms, callback) {
  const entry = { path: this.path, ms, fired: false }
  timeouts.push(entry)
  return setTimeout.call(this, ms, (...args) => {
    entry.fired = true
    if (callback) callback(...args)
  })
}
process.on("exit", () => fs.writeFileSync(process.env.REQUEST_TIMEOUT_PROBE_FILE, JSON.stringify(timeouts)))
