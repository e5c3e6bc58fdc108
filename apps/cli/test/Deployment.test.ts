import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { deploymentBlock, modeOf, runAsWritten } from "./DeploymentDoc.ts"

const root = new URL("../../../", import.meta.url).pathname

/** Upper-case literals in the sources that are not environment variables, and why. */
const NOT_VARIABLES: Readonly<Record<string, string>> = {
  DEFAULT_PAPER: "the name of the PAPER_ALPACA_* account",
  I_UNDERSTAND_REAL_MONEY: "the value COUNCIL_ALLOW_LIVE must have",
  ERR_STREAM_DESTROYED: "a Node error code (a closed stdout)",
  npm_execpath: "set by pnpm itself: which launcher started the CLI"
}

const sources = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : []
  })

const sourceFiles = ["packages", "pipelines", "apps"].flatMap((group) =>
  readdirSync(join(root, group)).flatMap((name) => {
    const src = join(root, group, name, "src")
    return statSync(src, { throwIfNoEntry: false })?.isDirectory() ? sources(src) : []
  })
)

/** Code without its comments: a name in a comment is a mention, not a read. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")

/**
 * Every environment variable the code reads: upper-case literals with an underscore (`Config.String("X_Y")`,
 * `env("X_Y")`, …), `process.env` reads, upper-case names given to a config reader, and names built from a template
 * (`ALPACA_${name}_KEY_ID` → `ALPACA_*_KEY_ID`).
 */
const variablesInCode = (): ReadonlyMap<string, string> => {
  const found = new Map<string, string>()
  const add = (name: string, file: string) => {
    if (!(name in NOT_VARIABLES) && !found.has(name)) found.set(name, file.slice(root.length))
  }
  for (const file of sourceFiles) {
    const text = code(readFileSync(file, "utf8"))
    for (const m of text.matchAll(/["'`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["'`]/g)) add(m[1]!, file)
    for (const m of text.matchAll(/`([A-Z][A-Z0-9_]*_)\$\{[^}]+\}((?:_[A-Z0-9]+)*)`/g)) add(`${m[1]}*${m[2]}`, file)
    for (const m of text.matchAll(/process\.env(?:\.([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g)) add(m[1] ?? m[2]!, file)
    for (const m of text.matchAll(/\b(?:optional|Config\.\w+)\(\s*["']([A-Z][A-Z0-9_]*)["']/g)) add(m[1]!, file)
  }
  return found
}

const envExample = readFileSync(join(root, ".env.example"), "utf8")
const deployment = readFileSync(join(root, "docs", "DEPLOYMENT.md"), "utf8")

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
/** `ALPACA_*_KEY_ID` as a documentation pattern: `ALPACA_{NAME}_KEY_ID`, `COUNCIL_MODEL_<ROLE>`. */
const pattern = (name: string) => name.split("*").map(escape).join("[{<][A-Z]+[}>]")

const inEnvExample = (name: string) => new RegExp(`^#?\\s*${pattern(name)}=`, "m").test(envExample)
const inDeployment = (name: string) => new RegExp(`\`${pattern(name)}\``).test(deployment)

describe("deployment documentation", () => {
  it("lists every environment variable the code reads in .env.example and docs/DEPLOYMENT.md", () => {
    const variables = variablesInCode()
    for (const expected of ["TRADING_ACCOUNTS_CONFIG", "ALPACA_*_KEY_ID", "COUNCIL_MODEL_*", "SLACK_WEBHOOK_URL", "TERM", "COUNCIL_BARS_CACHE", "DATABASE_URL", "COUNCIL_RISK_FREE"]) {
      assert.isTrue(variables.has(expected), `the scan missed ${expected}`)
    }
    assert.isAtLeast(variables.size, 45)
    const missing = [...variables].flatMap(([name, file]) => [
      ...(inEnvExample(name) ? [] : [`${name} (read in ${file}) is not in .env.example`]),
      ...(inDeployment(name) ? [] : [`${name} (read in ${file}) is not in docs/DEPLOYMENT.md`])
    ])
    assert.deepStrictEqual(missing, [])
  })

  it("documents in docs/DEPLOYMENT.md every variable of .env.example", () => {
    const listed = [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*(?:[{<][A-Z]+[}>][A-Z0-9_]*)?)=/gm)].map((m) => m[1]!)
    assert.isAtLeast(listed.length, 45)
    assert.deepStrictEqual(listed.filter((name) => !deployment.includes(`\`${name}\``)), [])
  })

  it("says what a deployment needs: install, a cron entry per schedule, a systemd timer, logs, backup and restore, verify", () => {
    for (const needed of [
      "npm install -g pnpm@10 && pnpm install --frozen-lockfile",
      "CRON_TZ=America/New_York",
      "45 15 * * 1-5",
      "15 20 * * 1-5",
      "45 12 * * 1-5",
      "--early-close-only",
      "--require-approval",
      "OnCalendar=Mon..Fri 15:45 America/New_York",
      ".backup",
      "VACUUM INTO",
      "pg_dump",
      "pg_restore",
      "pnpm pipeline verify",
      "council.db-wal"
    ]) assert.include(deployment, needed)
  })
})

describe("the environment file, loaded as DEPLOYMENT.md says (`set -a && . ~/council.env && set +a`)", () => {
  /** The example's value of `name`, uncommented, as `sh` reads it from a file. */
  const sourced = (name: string): string => {
    const line = new RegExp(`^#\\s*(${name}=.+)$`, "m").exec(envExample)?.[1]
    assert.isDefined(line, `${name} has an example value in .env.example`)
    const dir = tempHome()
    const file = join(dir, "council.env")
    writeFileSync(file, `${line}\n`, { mode: 0o600 })
    const shell = spawnSync("sh", ["-c", `set -a && . "${file}" && set +a && printenv ${name}`], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "" } })
    assert.strictEqual(shell.status, 0, shell.stderr)
    return shell.stdout.replace(/\n$/, "")
  }

  it("keeps the example TRADING_ACCOUNTS_CONFIG valid JSON (unquoted, the shell strips its double quotes)", () => {
    const accounts = JSON.parse(sourced("TRADING_ACCOUNTS_CONFIG")) as ReadonlyArray<{ readonly id: string; readonly settings: object }>
    assert.strictEqual(accounts[0]?.id, "COUNCIL")
    assert.deepStrictEqual(accounts[0]?.settings, { maxOrderValue: 25000, maxPositionPct: 20, allowShorting: false })
  })
})

describe("the operator's documents render as written", () => {
  /** The lines of `text` that break its code fences: a closing fence with text after it, a block never closed. */
  const brokenFences = (text: string): ReadonlyArray<string> => {
    const broken: Array<string> = []
    let open: string | undefined
    for (const [i, line] of text.split("\n").entries()) {
      if (!line.trimStart().startsWith("```")) continue
      const fence = line.trim()
      if (open === undefined) open = `line ${i + 1}: ${line}`
      else if (fence === "```") open = undefined
      else broken.push(`line ${i + 1}: ${line}`) // not a closing fence: the block (and the text after) runs on
    }
    return open === undefined ? broken : [...broken, `${open} (never closed)`]
  }

  it("close every code block of README.md and docs/ on a line of its own", () => {
    for (const file of ["README.md", ...readdirSync(join(root, "docs")).map((name) => join("docs", name))]) {
      assert.deepStrictEqual(brokenFences(readFileSync(join(root, file), "utf8")), [], file)
    }
  })
})

describe("the backups of docs/DEPLOYMENT.md, run as written", () => {
  /** A home with Council's database at ~/council/.council/council.db, as the document lays it out. */
  const operatorHome = () => {
    const home = tempHome()
    mkdirSync(join(home, "council", ".council"), { recursive: true, mode: 0o700 })
    const db = new DatabaseSync(join(home, "council", ".council", "council.db"))
    db.exec("CREATE TABLE runs (id TEXT PRIMARY KEY); INSERT INTO runs VALUES ('2026-06-08-0a1b2c3d')")
    db.close()
    return home
  }

  it("leave copies only their owner can read, from a shell whose umask would let anyone read them", () => {
    const home = operatorHome()
    assert.strictEqual(runAsWritten(deploymentBlock("**SQLite** —"), { HOME: home }).trim(), "ok")
    const backups = join(home, "backups")
    const copies = readdirSync(backups)
    assert.strictEqual(copies.length, 2, copies.join())
    assert.strictEqual(modeOf(backups), "700")
    for (const copy of copies) assert.strictEqual(modeOf(join(backups, copy)), "600", copy)
    // the cron entry too (cron sets HOME, and reads \% as %)
    const entry = /^(?:\S+[ \t]+){5}(.*sqlite3.*\.backup.*)$/m.exec(deploymentBlock("**SQLite** —", "cron"))?.[1]
    assert.isDefined(entry)
    const fromCron = operatorHome()
    runAsWritten(entry!.replaceAll("\\%", "%"), { HOME: fromCron })
    const [copy] = readdirSync(join(fromCron, "backups"))
    assert.strictEqual(modeOf(join(fromCron, "backups")), "700")
    assert.strictEqual(modeOf(join(fromCron, "backups", copy!)), "600")
    const restored = new DatabaseSync(join(fromCron, "backups", copy!), { readOnly: true })
    assert.deepStrictEqual(restored.prepare("SELECT id FROM runs").all().map((r) => r["id"]), ["2026-06-08-0a1b2c3d"])
    restored.close()
  })
})

describe("the crontab entries of docs/DEPLOYMENT.md", () => {
  /** The commands of every entry (after its five time fields) in the document's `cron` blocks. */
  const entries = [...deployment.matchAll(/```cron\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.split("\n"))
    .map((line) => line.replace(/^#\s*/, ""))
    .map((line) => /^(?:\S+\s+){5}(.+)$/.exec(line)?.[1])
    .filter((command): command is string => command !== undefined && !/^[A-Z_]+=/.test(command))

  it("include the backup, and no command has a bare % (cron ends the command there: it must be written \\%)", () => {
    assert.isTrue(entries.some((command) => command.includes("sqlite3") && command.includes(".backup")), "a backup entry")
    assert.isAbove(entries.length, 3)
    for (const command of entries) assert.notMatch(command, /(^|[^\\])%/, command)
  })
})

const withoutPnpmSilence = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([name]) => name !== "npm_config_reporter" && name !== "npm_config_loglevel"))

describe("output another program reads, through pnpm as the README says", () => {
  // pnpm's own script (the test runs under `pnpm test`), else the one on PATH
  const pnpm = process.env["npm_execpath"]
  const launch = (args: ReadonlyArray<string>) =>
    spawnSync(pnpm === undefined ? "pnpm" : process.execPath, [...(pnpm === undefined ? [] : [pnpm]), ...args], {
      cwd: root,
      encoding: "utf8",
      // without the silence an outer `pnpm -s test` hands down (`npm_config_reporter=silent`): each launch says its own
      env: { ...withoutPnpmSilence(process.env), COUNCIL_HOME: tempHome() },
      timeout: 60_000
    })

  it("`pnpm -s pipeline … --json` prints one JSON document; plain `pnpm pipeline` adds pnpm's banner, which the README says", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    assert.include(readme, "run `pnpm -s pipeline …`")
    const silent = launch(["-s", "pipeline", "backtests", "--json"])
    assert.strictEqual(silent.status, 0, silent.stderr)
    assert.deepStrictEqual(JSON.parse(silent.stdout), [])
    const plain = launch(["pipeline", "backtests", "--json"])
    assert.strictEqual(plain.status, 0, plain.stderr)
    assert.match(plain.stdout, /^\s*> council@ pipeline /, "the banner the README warns about")
  }, 60_000)
})

describe("the run entries of docs/DEPLOYMENT.md's crontab, run as written", () => {
  const runEntries = deploymentBlock("With `CRON_TZ`", "cron").split("\n")
    .map((line) => /^(?:# )?(?:\S+\s+){5}(.*pipeline run daily.*)$/.exec(line)?.[1])
    .filter((command): command is string => command !== undefined)

  it("log what stops them before Council starts: a settings file sh cannot read (a quote left open) or that is missing", () => {
    assert.strictEqual(runEntries.length, 3, "the close, early-close and after-close entries")
    for (const [i, entry] of runEntries.entries()) {
      const home = tempHome()
      mkdirSync(join(home, "council", ".council"), { recursive: true, mode: 0o700 })
      // a key edited by hand, the JSON's closing quote lost: the shell that loads the file stops there
      writeFileSync(join(home, "council.env"), `SLACK_WEBHOOK_URL=\nTRADING_ACCOUNTS_CONFIG='[{"id":"COUNCIL"}]\n`, { mode: 0o600 })
      const script = entry.replaceAll("/home/council/council.env", join(home, i === 0 ? "missing.env" : "council.env"))
        .replaceAll("/home/council", home)
      const shell = spawnSync("sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", HOME: home }, timeout: 60_000 })
      assert.notStrictEqual(shell.status, 0, entry)
      const log = readFileSync(join(home, "council", ".council", "daily.log"), "utf8")
      assert.match(log, i === 0 ? /missing\.env/ : /council\.env.*(Unterminated quoted string|unexpected EOF)/, entry)
    }
  })
})
