/**
 * `pnpm pipeline serve --host 0.0.0.0` says what it gives away, and it is true: reads need no token and a mutation's
 * token travels in clear text; the guard against DNS rebinding stays on (a request addressed to a name it was not
 * given is refused; by IP address it is answered); mutations stay behind the token, and a page of another origin is
 * refused even with it.
 */
import { spawn } from "node:child_process"
import { request } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { bin, tempHome } from "./CliHarness.ts"

const TOKEN = "beyond-loopback-token-7c2e41d9a0"

let output = ""
let port = 0
let stop: () => Promise<unknown> = () => Promise.resolve()

beforeAll(async () => {
  const child = spawn(process.execPath, [bin, "serve", "--host", "0.0.0.0", "--port", "0"], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), COUNCIL_API_TOKEN: TOKEN }
  })
  const exited = new Promise((done) => child.on("close", done))
  stop = () => (child.kill("SIGTERM"), exited)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000)
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const found = /monitor listening on http:\/\/\S+:(\d+)/.exec(output)?.[1]
      if (found !== undefined && output.includes("stop with Ctrl-C")) {
        clearTimeout(timer)
        port = Number(found)
        resolve()
      }
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.on("close", (code) => reject(new Error(`serve exited (${code}):\n${output}`)))
  })
}, 60_000)

afterAll(() => stop())

const send = (method: string, path: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end(method === "POST" ? JSON.stringify({ account: "CHATGPT" }) : undefined)
  })

describe("serve --host 0.0.0.0", () => {
  it("warns that reads need no token and that the token crosses the network in clear; says which names it answers", () => {
    const warning = output.slice(output.indexOf("warning:")).replace(/\s+/g, " ")
    assert.include(warning, "reads (accounts, positions, orders, runs) need no token")
    assert.include(output, "answers requests addressed to: localhost, IP addresses (other names: --allowed-host NAME)")
    assert.include(warning, "unencrypted (http)")
    assert.include(warning, "tunnel (ssh -L)")
    assert.notInclude(output, TOKEN)
  })

  it("and that is so: a request addressed to another name is refused, by address answered; a mutation needs the token and the server's own origin", async () => {
    assert.strictEqual(await send("GET", "/api/accounts", { host: "rebound.example" }), 403)
    assert.strictEqual(await send("GET", "/api/accounts", { host: "192.168.1.20:8080" }), 200)
    const json = { "content-type": "application/json" }
    assert.strictEqual(await send("POST", "/api/close-all", { ...json, host: "rebound.example", origin: "http://rebound.example", authorization: `Bearer ${TOKEN}` }), 403)
    assert.strictEqual(await send("POST", "/api/close-all", { ...json, host: "192.168.1.20:8080" }), 401)
    assert.strictEqual(await send("POST", "/api/close-all", { ...json, host: "192.168.1.20:8080", origin: "http://192.168.1.20:8080", authorization: `Bearer ${TOKEN}` }), 200)
    assert.strictEqual(await send("POST", "/api/close-all", { ...json, host: "192.168.1.20:8080", origin: "http://evil.example", authorization: `Bearer ${TOKEN}` }), 403)
  })
})
