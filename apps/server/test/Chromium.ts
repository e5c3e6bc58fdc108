/**
 * The Chromium every browser test drives: the one `scripts/chromium-path.sh` resolves (`CHROMIUM_PATH`, else the
 * `chromium` on the PATH, else Debian's /usr/bin/chromium — STACK.md's choice), the very script
 * `scripts/ensure-test-tools.sh` checks with, so a machine that passes `pnpm test`'s prerequisite check launches
 * the browser it found. Resolved once per test process.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { type Browser, chromium } from "playwright-core"

const script = fileURLToPath(new URL("../../../scripts/chromium-path.sh", import.meta.url))

/** The executable `scripts/chromium-path.sh` names under `env`; throws with its one line when there is none. */
export const chromiumExecutable = (env: NodeJS.ProcessEnv = process.env): string => {
  try {
    return execFileSync("bash", [script], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()
  } catch (error) {
    const said = (error as { readonly stderr?: unknown }).stderr
    throw new Error(typeof said === "string" && said.trim() !== "" ? said.trim() : String(error))
  }
}

let resolved: string | undefined

/** Chromium headless (nothing is downloaded), with nothing of its own on the network: `executablePath`, else the resolved one. */
export const launchChromium = (executablePath: string = (resolved ??= chromiumExecutable())): Promise<Browser> =>
  chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  })
