/**
 * The dashboard's script is modules by what they draw (the charts, the runs' list, a run's page, the standings),
 * each a file of its own of at most ~600 lines: every module the page imports, followed from `index.html` through
 * each module's imports, is served by the monitor itself as JavaScript under the page's CSP (`script-src 'self'`),
 * and none is past the size a reader takes in. A real `pnpm pipeline serve` on an empty home.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

let server: ServerProcess

beforeAll(async () => {
  server = await startServer(tempHome())
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

/** The modules a script imports (static `import … from "./x.js"`), as paths of the server. */
const importsOf = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(/^import [^;]*? from "\.\/([\w-]+\.js)"/gm)].map((m) => `/${m[1]}`)

describe("the dashboard's script modules", () => {
  it("are each served under the CSP, as JavaScript, and none is longer than ~600 lines", async () => {
    const page = await (await fetchFresh(`${server.url}/`)).text()
    const entries = [...page.matchAll(/<script type="module" src="([^"]+)"><\/script>/g)].map((m) => m[1]!)
    assert.deepStrictEqual(entries, ["/app.js"])
    const seen = new Map<string, number>()
    const queue = [...entries]
    while (queue.length > 0) {
      const path = queue.shift()!
      if (seen.has(path)) continue
      const answer = await fetchFresh(`${server.url}${path}`)
      const text = await answer.text()
      assert.strictEqual(answer.status, 200, path)
      assert.strictEqual(answer.headers.get("content-type"), "text/javascript; charset=utf-8", path)
      assert.include(answer.headers.get("content-security-policy") ?? "", "script-src 'self'", path)
      seen.set(path, text.split("\n").length)
      queue.push(...importsOf(text))
    }
    // the page's modules by what they draw, and the figures module they write numbers with
    for (const module of ["/app.js", "/api.js", "/charts.js", "/dom.js", "/figures.js", "/run.js", "/runs.js", "/standings.js"]) {
      assert.isTrue(seen.has(module), `${module} is not imported (imported: ${[...seen.keys()].join(", ")})`)
    }
    const long = [...seen].filter(([, lines]) => lines > 600)
    assert.deepStrictEqual(long, [], "modules over 600 lines")
  }, 60_000)
})
