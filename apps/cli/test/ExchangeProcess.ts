import { type ChildProcess, spawn } from "node:child_process"
import { bin, cli } from "./CliHarness.ts"

export interface ServedExchange {
  readonly url: string
  readonly keys: ReadonlyArray<{ readonly account: string; readonly keyId: string; readonly secretKey: string }>
  readonly process: ChildProcess
  readonly stop: () => Promise<void>
}

/** Starts `pnpm pipeline exchange serve --port 0 …` in its own process on `home` and reads its URL and keys. */
export const serveExchange = (home: string, flags: ReadonlyArray<string> = []): Promise<ServedExchange> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "exchange", "serve", "--port", "0", ...flags], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url === undefined) return
      child.stdout.removeAllListeners("data")
      const keys = cli(home, ["exchange", "keys", "--json"])
      if (keys.code !== 0) return reject(new Error(`exchange keys failed: ${keys.stderr}`))
      resolve({
        url,
        keys: JSON.parse(keys.stdout),
        process: child,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done()
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    })
    child.once("exit", (code) => reject(new Error(`exchange serve exited with ${code}: ${err}`)))
  })

/** A TRADING_ACCOUNTS_CONFIG pointing every served account at the server. */
export const accountsConfig = (served: ServedExchange, accounts?: ReadonlyArray<string>): string =>
  JSON.stringify(
    served.keys
      .filter((k) => accounts === undefined || accounts.includes(k.account))
      .map((k) => ({
        id: k.account,
        mode: "PAPER",
        credentials: { keyId: k.keyId, secretKey: k.secretKey },
        baseUrl: served.url
      }))
  )
