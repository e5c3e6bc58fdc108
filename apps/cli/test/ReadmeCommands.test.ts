import { readFileSync } from "node:fs"
import { execFile } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { cliInProcess } from "./InProcess.ts"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
/** The README's "Commands" block: one line (or a continued one) per command. */
const block = readme.split("## Commands\n\n```\n")[1]!.split("```")[0]!

/** Every command and the README lines that show it (a line starting with blanks continues the one before). */
const commands: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
  [["run"], /pipeline run daily/], [["approve"], /pipeline approve/], [["replay"], /pipeline replay/], [["runs"], /pipeline runs/],
  [["show"], /pipeline show/], [["export"], /pipeline export/], [["import"], /pipeline import/], [["accounts"], /pipeline accounts/],
  [["positions"], /pipeline positions /], [["orders"], /pipeline orders /], [["order"], /pipeline order /], [["cancel"], /pipeline cancel /],
  [["cancel-all"], /pipeline cancel-all/], [["close"], /pipeline close /], [["close-all"], /pipeline close-all/], [["reconcile"], /pipeline reconcile/], [["verify"], /pipeline verify/],
  [["exchange", "serve"], /pipeline exchange serve/], [["exchange", "keys"], /pipeline exchange keys/], [["leaderboard"], /pipeline leaderboard/],
  [["equity"], /pipeline equity/], [["backtests"], /pipeline backtests/], [["backtest"], /pipeline backtest /], [["serve"], /pipeline serve/],
  [["graph"], /pipeline graph/]
]

/** The lines of `block` matching `shown`, each with the indented lines that continue it. */
const linesOf = (shown: RegExp): string => {
  const lines = block.split("\n")
  return lines.flatMap((line, i) => {
    if (!shown.test(line)) return []
    const rest = lines.slice(i + 1)
    const end = rest.findIndex((l) => !/^\s{8,}\S/.test(l))
    return [line, ...rest.slice(0, end < 0 ? rest.length : end)]
  }).join("\n")
}

describe("the README's command list", () => {
  it("shows every command with every flag its --help lists, and no flag it lacks", async () => {
    const flagsOf = new Map<ReadonlyArray<string>, ReadonlyArray<readonly [string, string | undefined]>>()
    for (const [command] of commands) {
      const help = (await cliInProcess(undefined, [...command, "--help"])).stdout
      const flagsBlock = help.split("\n\n").find((b) => b.startsWith("FLAGS\n")) ?? ""
      flagsOf.set(command, [...flagsBlock.matchAll(/^ {2}(--[a-z-]+)(?:, (-[a-z]))?/gm)].map((m) => [m[1]!, m[2]] as const))
    }
    for (const [command, shown] of commands) {
      const flags = flagsOf.get(command)!
      const text = linesOf(shown)
      assert.notStrictEqual(text, "", `${command.join(" ")}: not in the README's command list`)
      const missing = flags.filter(([long, short]) => !text.includes(long) && (short === undefined || !text.includes(`${short} `)))
      assert.deepStrictEqual(missing.map(([long]) => long), [], `${command.join(" ")}: flags its --help lists that the README does not show`)
      // a line may show several commands (`export … import`, `accounts | positions | orders`): a flag must be one of theirs
      const known = new Set(commands.filter(([, other]) => linesOf(other) === text).flatMap(([other]) => flagsOf.get(other)!.map(([long]) => long)))
      const shownFlags = text.split("\n").map((line) => line.replace(/\s#\s.*$/, "")).join("\n") // a comment may name another command's
      const strangers = [...shownFlags.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((m) => m[1]!).filter((flag) => !known.has(flag))
      assert.deepStrictEqual(strangers, [], `${command.join(" ")}: flags the README shows that its --help does not list`)
    }
  })

  it("and exchange serve's --help say the same default moment: 15:45, or where the ledger's accounts are (a restart resumes there)", async () => {
    const help = (await cliInProcess(undefined, ["exchange", "serve", "--help"])).stdout
    const at = help.split("\n").find((line) => /^ {2}--at /.test(line)) ?? ""
    // the server's rule (ExchangeServer, tested by ExchangeServerRestart and ExchangeServeRestartCli): with neither
    // --date nor --at, the latest point an account with orders was brought to, earlier or later than the data's end
    for (const [where, text] of [["--help", at], ["README", readme.split("\n").find((line) => line.includes("`--at HH:MM` the moment on it")) ?? ""]] as const) {
      assert.include(text, "15:45", where)
      assert.include(text, "where the ledger's accounts are", where)
      assert.include(text, "the latest point an account with orders was brought to", where)
    }
  })

  it("and the global flags: every one the help lists, with the very choices it offers", async () => {
    const help = (await cliInProcess(undefined, ["--help"])).stdout
    const global = help.split("\n\n").find((b) => b.startsWith("GLOBAL FLAGS\n")) ?? ""
    const flags = [...global.matchAll(/^ {2}(--[a-z-]+)(?:, -[a-z])?(?: <([a-z|]+)>)?/gm)].map((m) => [m[1]!, m[2]] as const)
    assert.includeMembers(flags.map(([flag]) => flag), ["--help", "--version", "--wizard", "--completions", "--log-level"])
    for (const [flag, choices] of flags) {
      assert.include(readme, choices === undefined ? `\`${flag}` : `\`${flag} ${choices}\``, `${flag}: the README's Commands section`)
    }
  })
})

describe("the README's `pnpm bench` lines", () => {
  const run = new URL("../../../bench/run.ts", import.meta.url).pathname
  /** bench/run.ts's stderr: a bad invocation is refused before anything is measured. */
  const refusal = (args: ReadonlyArray<string>) =>
    new Promise<string>((resolve) => execFile(process.execPath, [run, ...args], { timeout: 30_000 }, (_, __, stderr) => resolve(stderr)))

  it("show every benchmark with the very flags bench/run.ts takes for it", async () => {
    // the benchmarks and their flags as bench/run.ts refuses the rest
    const available = /available: (.+)$/m.exec(await refusal(["no-such-benchmark"]))?.[1]?.split(", ") ?? []
    assert.includeMembers(available, ["daily", "exchange", "backtest", "instructions", "leaderboard"])
    const shown = new Map(block.split("\n").flatMap((line) => {
      const m = /^pnpm bench ([a-z |]+?)\s*(\[.*)?$/.exec(line.replace(/\s#\s.*$/, ""))
      return m === null ? [] : m[1]!.split("|").map((name) => [name.trim(), m[2] ?? ""] as const)
    }))
    const refusals = await Promise.all(available.map((name) => refusal([name, "--no-such-flag"])))
    for (const [i, name] of available.entries()) {
      const takes = /\(it takes (.+)\)$/m.exec(refusals[i]!)?.[1]?.split(", ") ?? []
      assert.isNotEmpty(takes, name)
      assert.isTrue(shown.has(name), `bench ${name}: not in the README's command list`)
      assert.sameMembers([...shown.get(name)!.matchAll(/--[a-z-]+/g)].map((m) => m[0]), takes, `bench ${name}: the README's flags`)
    }
  })
})

describe("the README's and DEPLOYMENT.md's test prerequisites", () => {
  it("name every Debian package scripts/ensure-test-tools.sh needs, for a user who is not root", () => {
    const script = readFileSync(new URL("../../../scripts/ensure-test-tools.sh", import.meta.url), "utf8")
    const packages = [...script.matchAll(/^\s*ensure (\S+) /gm)].map((m) => m[1]!)
    assert.includeMembers(packages, ["postgresql", "chromium"])
    const deployment = readFileSync(new URL("../../../docs/DEPLOYMENT.md", import.meta.url), "utf8")
    for (const [doc, text] of [["README.md", readme], ["docs/DEPLOYMENT.md", deployment]] as const) {
      const install = /`sudo apt-get install -y ([a-z0-9 -]+)`/.exec(text)?.[1]?.split(" ") ?? []
      assert.sameMembers(install, packages, doc)
    }
  })

  it("say which Chromium the dashboard tests drive, as scripts/chromium-path.sh resolves it", () => {
    const script = readFileSync(new URL("../../../scripts/chromium-path.sh", import.meta.url), "utf8")
    const code = script.split("\n").filter((line) => !line.trimStart().startsWith("#")).join("\n")
    // the candidates, in the script's order: its override variable, the PATH's chromium, Debian's path
    assert.match(code, /\$\{(CHROMIUM_PATH):-\}[\s\S]*command -v chromium[\s\S]*-x \/usr\/bin\/chromium/)
    const deployment = readFileSync(new URL("../../../docs/DEPLOYMENT.md", import.meta.url), "utf8")
    for (const [doc, text] of [["README.md", readme], ["docs/DEPLOYMENT.md", deployment]] as const) {
      assert.include(text.replace(/\s*\n\s*/g, " "), "drive the `chromium` on the PATH, else `/usr/bin/chromium`", doc)
      assert.include(text, "`CHROMIUM_PATH=/path/to/chromium`", doc)
    }
  })
})

describe("every command the documentation shows in passing", () => {
  const docs = ["README.md", "docs/DEPLOYMENT.md", "docs/SEEDS.md", "docs/BENCHMARKS.md"].map((path) => [path, readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8")] as const)
  const names = commands.map(([command]) => command.join(" ")).sort((a, b) => b.length - a.length)

  /**
   * Each command and the flags a document gives it: after `pnpm [-s|-w] pipeline`, anywhere, and in a code span
   * that starts with a command's name (`run daily --date 2026-06-05`); up to a pipe, `&&`, a redirection or a comment.
   */
  const shown = (text: string): ReadonlyArray<readonly [string, ReadonlyArray<string>, string]> => {
    const spans = [
      ...[...text.matchAll(/pnpm (?:-[sw] )*pipeline ([^`\n]*)/g)].map((m) => m[1]!),
      ...[...text.matchAll(/`([a-z][a-z-]*(?: [a-z]+)? (?:<[^>`]*> )?--[^`]*)`/g)].map((m) => m[1]!)
    ]
    return spans.flatMap((span) => {
      const line = span.split(/ (?:&&|\||>>|#) | \|(?= )/)[0]!.replace(/\\\|/g, "|")
      const name = names.find((n) => line === n || line.startsWith(`${n} `))
      if (name === undefined) return []
      return [[name, [...line.slice(name.length).matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)].map((m) => m[1]!), line] as const]
    })
  }

  it("gives each one only flags its --help lists", async () => {
    const global = ["--help", "--version", "--wizard", "--completions", "--log-level"]
    const flagsOf = new Map<string, ReadonlyArray<string>>()
    for (const [command] of commands) {
      const help = (await cliInProcess(undefined, [...command, "--help"])).stdout
      const flagsBlock = help.split("\n\n").find((b) => b.startsWith("FLAGS\n")) ?? ""
      flagsOf.set(command.join(" "), [...global, ...[...flagsBlock.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!)])
    }
    const found = docs.flatMap(([path, text]) => shown(text).map((s) => [path, ...s] as const))
    assert.isAtLeast(found.length, 60, "the scan found the documents' commands")
    const unknown = found.flatMap(([path, name, flags, line]) =>
      flags.filter((flag) => !flagsOf.get(name)!.includes(flag)).map((flag) => `${path}: ${flag} in \`${line}\``)
    )
    assert.deepStrictEqual(unknown, [])
  })
})
