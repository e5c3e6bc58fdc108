import { spawnSync } from "node:child_process"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const root = new URL("../../../", import.meta.url).pathname
const deployment = readFileSync(join(root, "docs", "DEPLOYMENT.md"), "utf8")

/** The first ```` ```lang ```` block of docs/DEPLOYMENT.md after `marker`, as written. */
export const deploymentBlock = (marker: string, lang: "sh" | "cron" = "sh"): string => {
  const after = deployment.split(marker)[1]
  const block = after === undefined ? undefined : new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(after)?.[1]
  if (block === undefined) throw new Error(`no ${lang} block after ${JSON.stringify(marker)} in docs/DEPLOYMENT.md`)
  return block
}

/**
 * Runs `script` with `sh` as an operator's shell would, from the usual umask (022: new files readable by all) and
 * with `env` (HOME included) as its whole environment besides PATH.
 */
export const runAsWritten = (script: string, env: Record<string, string>) => {
  const shell = spawnSync("sh", ["-c", `umask 022\nset -e\n${script}`], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", ...env },
    timeout: 60_000
  })
  if (shell.status !== 0) throw new Error(`sh exited ${shell.status}: ${shell.stderr}`)
  return shell.stdout
}

/** A file's permission bits, as `ls -l` reads them in octal (`600`). */
export const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8)
