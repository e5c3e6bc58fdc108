/**
 * `pnpm bench exchange`: what one order costs the exchange server. `exchange serve` runs in its own process pinned
 * to core 0 (0 ms latency, no faults, no effective rate limit); this process, pinned to core 1, keeps 32 market
 * orders in flight over keep-alive connections (6 accounts × 5 symbols). Per repetition: orders/s, and the
 * server's CPU per order from its `/proc` CPU time over the batch. The floor, measured in the same repetition
 * with the same client: `FloorServer`, which parses each request and answers an order-sized body, nothing else.
 * `--profile` adds one profiled run of the server (`node --cpu-prof`) and prints where its time went.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bin, canPin, exchangeKeys, hasProc, type KeyPair, pinSelf, root, type Served, startServer } from "./Processes.ts"
import { against, line, ratios, show, summarize } from "./Stats.ts"

const IN_FLIGHT = 32
const SYMBOLS = ["SPY", "QQQ", "IWM", "TLT", "GLD"]

const post = (agent: Agent, url: URL, keys: KeyPair, body: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: "/v2/orders",
      method: "POST",
      agent,
      headers: { "APCA-API-KEY-ID": keys.keyId, "APCA-API-SECRET-KEY": keys.secretKey, "Content-Type": "application/json" }
    }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end(body)
  })

interface Batch {
  readonly perSecond: number
  readonly cpuMsPerOrder: number
  readonly failed: number
}

/** `count` market orders, `IN_FLIGHT` at a time, against `server`. */
const batch = async (server: Served, keys: ReadonlyArray<KeyPair>, count: number, tag: string): Promise<Batch> => {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT })
  const url = new URL(server.url)
  let next = 0
  let failed = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const body = JSON.stringify({
        symbol: SYMBOLS[i % SYMBOLS.length],
        qty: "1",
        side: (i >> 1) % 2 === 0 ? "buy" : "sell",
        type: "market",
        time_in_force: "day",
        client_order_id: `${tag}-${i}`
      })
      if ((await post(agent, url, keys[i % keys.length]!, body)) !== 200) failed++
    }
  }
  const cpu0 = server.cpuMs()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const wallMs = performance.now() - t0
  const cpuMs = server.cpuMs() - cpu0
  agent.destroy()
  return { perSecond: (count / wallMs) * 1000, cpuMsPerOrder: cpuMs / count, failed }
}

const serveExchange = (home: string, nodeFlags: ReadonlyArray<string> = []) =>
  startServer([...nodeFlags, bin, "exchange", "serve", "--port", "0", "--rate-limit", "100000000"], { COUNCIL_HOME: home }, 0)

/** Self time of a CPU profile by area, largest first. */
const profileAreas = (file: string): ReadonlyArray<readonly [string, number]> => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: ReadonlyArray<{ id: number; callFrame: { url: string; functionName: string } }>
    samples: ReadonlyArray<number>
    timeDeltas: ReadonlyArray<number>
  }
  const area = (url: string, fn: string): string =>
    fn === "(idle)" ? "idle (waiting for requests)"
    : fn === "(garbage collector)" ? "garbage collection"
    : url.includes("/store/src/NodeSqliteClient") ? "SQLite (node:sqlite calls, incl. commit I/O)"
    : url.includes("effect/dist/sql/") ? "effect/sql (statements, transactions)"
    : url.includes("effect/dist/Schema") || url.includes("effect/dist/internal/schema") ? "effect Schema (decoding)"
    : url.includes("effect/dist/") ? "effect runtime (fibers, Effect values)"
    : url.includes("packages/exchange/src/server/") || url.includes("broker/src/alpaca/AlpacaWire") ? "exchange server (routing, wire)"
    : url.includes("packages/exchange/src/") ? "exchange core (ledger logic)"
    : url.includes("packages/market/") ? "market data"
    : url.startsWith("node:internal/modules") || url.includes("amaro") || url.startsWith("wasm") ? "start-up (module loading)"
    : url.startsWith("node:") || fn === "writeUtf8String" || fn === "writev" ? "node:http and sockets"
    : fn === "parse" || fn === "stringify" ? "JSON"
    : fn === "(program)" ? "V8 (compiling, runtime)"
    : "other"
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const byArea = new Map<string, number>()
  for (const node of profile.nodes) {
    const key = area(node.callFrame.url, node.callFrame.functionName)
    byArea.set(key, (byArea.get(key) ?? 0) + (self.get(node.id) ?? 0) / 1000)
  }
  return [...byArea].sort((a, b) => b[1] - a[1])
}

const profiled = async (count: number) => {
  const home = mkdtempSync(join(tmpdir(), "council-bench-"))
  const dir = mkdtempSync(join(tmpdir(), "council-prof-"))
  try {
    const server = await serveExchange(home, ["--cpu-prof", `--cpu-prof-dir=${dir}`])
    const keys = exchangeKeys(home)
    await batch(server, keys, count, "profile")
    await server.stop()
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
    if (file === undefined) return console.log("  (no profile written)")
    const areas = profileAreas(join(dir, file))
    const busy = areas.filter(([k]) => !k.startsWith("idle") && !k.startsWith("start-up")).reduce((sum, [, ms]) => sum + ms, 0)
    const startup = areas.find(([k]) => k.startsWith("start-up"))?.[1] ?? 0
    console.log(`\n  where the server's time went (${count} orders, one profiled run; self time, sampled; start-up's ${startup.toFixed(0)} ms left out):`)
    for (const [name, ms] of areas) {
      if (name.startsWith("idle") || name.startsWith("start-up")) continue
      console.log(`    ${name.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms  ${((ms / busy) * 100).toFixed(0).padStart(3)} %  ${(ms / count * 1000).toFixed(0).padStart(4)} µs/order`)
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  }
}

export const throughput = async (runs: number, options: { readonly profile: boolean; readonly orders: number }) => {
  if (!hasProc) throw new Error("pnpm bench exchange reads server CPU time from /proc (Linux only)")
  pinSelf(1)
  const home = mkdtempSync(join(tmpdir(), "council-bench-"))
  const exchange = await serveExchange(home)
  const floor = await startServer([join(root, "bench/FloorServer.ts")], {}, 0)
  try {
    const keys = exchangeKeys(home)
    await batch(exchange, keys, 500, "warmup")
    await batch(floor, keys, 500, "warmup")
    const served: Array<Batch> = []
    const floors: Array<Batch> = []
    for (let r = 0; r < runs; r++) {
      floors.push(await batch(floor, keys, options.orders, `floor${r}`))
      served.push(await batch(exchange, keys, options.orders, `run${r}`))
    }
    const cpu = served.map((b) => b.cpuMsPerOrder)
    const rate = served.map((b) => b.perSecond)
    console.log(`exchange: ${options.orders} market orders × ${runs} runs, ${IN_FLIGHT} in flight, 0 ms latency; server ${canPin ? "pinned to core 0, client to core 1" : "NOT pinned (no taskset)"}`)
    line("server CPU per order", `${show(cpu, "ms", 3)}   ${against(summarize(cpu).median, 0.3, "≤", "ms")}`)
    line("orders per second", `${show(rate, "/s")}   ${against(summarize(rate).median, 2000, "≥", "/s")}`)
    line("floor: CPU per request", show(floors.map((b) => b.cpuMsPerOrder), "ms", 3))
    line("floor: requests per second", show(floors.map((b) => b.perSecond), "/s"))
    line("CPU / floor (paired)", show(ratios(cpu, floors.map((b) => b.cpuMsPerOrder)), "×", 1))
    line("orders/s / floor (paired)", show(ratios(rate, floors.map((b) => b.perSecond)), "×", 2))
    line("failed orders", String(served.reduce((n, b) => n + b.failed, 0)))
  } finally {
    await exchange.stop()
    await floor.stop()
    rmSync(home, { recursive: true, force: true })
  }
  if (options.profile) await profiled(options.orders * 4)
}
