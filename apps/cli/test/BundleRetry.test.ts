import { assert, describe, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { hashOf } from "@council/engine"
import { type FakeProvider, liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { faultProxy, fingerprint } from "./BrokerDoubles.ts"
import { failureOf, runIdOf, tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess, cliOk, FAST_ALPACA_RETRY } from "./InProcess.ts"

/**
 * A retry of a day's failed account, exported, replayed in another home. The day runs with the LLM PMs and chairman
 * answered by the fake provider on 127.0.0.1, on `exchange serve` behind a proxy that fails GROQ's order reads (503)
 * the first time: GROQ fails, the day run again retries it alone (its parameters name only GROQ), reusing the
 * first run's stages up to CouncilSynthesis, which asked the models with the first run's parameters.
 */

const KEYS = {
  OPENAI_API_KEY: "sk-bundle-openai-5d1c",
  GEMINI_API_KEY: "gm-bundle-gemini-a7e2",
  ANTHROPIC_API_KEY: "ant-bundle-anthropic-03b9",
  GROQ_API_KEY: "gsk-bundle-groq-c48f",
  DEEPSEEK_API_KEY: "ds-bundle-deepseek-91aa"
}

interface SealedFile {
  readonly format: string
  readonly run: { readonly id: string; readonly params: Record<string, unknown> }
  readonly origins?: Record<string, Record<string, unknown>>
  readonly hashes: { readonly origins?: Record<string, string> } & Record<string, unknown>
}

const freshHome = () => join(tempHome(), "home")
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as SealedFile
const write = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value))

/** The day's first run (GROQ failed) and its retry, in `home`; their ids. */
const failedThenRetried = async (home: string, fake: FakeProvider) => {
  const exchangeHome = tempHome()
  const served = await serveExchange(exchangeHome)
  const accountOfKey = new Map(served.keys.map((k) => [k.keyId, k.account]))
  let faulty = true
  const proxy = await faultProxy(served.url, accountOfKey, (request) =>
    faulty && request.account === "GROQ" && request.method === "GET" && request.path === "/v2/orders")
  try {
    const env = {
      ...liveEnv(fake, KEYS),
      TRADING_ACCOUNTS_CONFIG: JSON.stringify(served.keys.map((k) => ({ id: k.account, mode: "PAPER", credentials: { keyId: k.keyId, secretKey: k.secretKey }, baseUrl: proxy.url }))),
      COUNCIL_SCHEDULE: "after-close"
    }
    const first = await cliInProcess(home, ["run", "daily"], env, { alpacaRetry: FAST_ALPACA_RETRY })
    assert.strictEqual(first.code, 1, first.stderr)
    assert.match(first.stdout, /^GROQ\s+failed\s/m)
    faulty = false
    const retry = await cliInProcess(home, ["run", "daily"], env)
    assert.strictEqual(retry.code, 0, retry.stderr)
    assert.match(retry.stderr, /retrying GROQ with the same orders/)
    assert.match(retry.stderr, /⤷ CouncilSynthesis\s+reused from/)
    return { root: runIdOf(first.stdout), retry: runIdOf(retry.stdout) }
  } finally {
    proxy.close()
    await served.stop()
  }
}

describe("a retry run exported as a bundle replays in another home", () => {
  it("its bundle carries the first run's parameters (hashed): replay <file> and import + replay are identical elsewhere; an edited origin is refused; a /3 bundle of it replays as before", async () => {
    const fake = await startFake()
    try {
      const home = freshHome()
      const { retry, root } = await failedThenRetried(home, fake)
      const dir = tempHome()
      const retryFile = join(dir, "retry.json")
      const rootFile = join(dir, "root.json")
      await cliOk(home, ["export", retry, "-o", retryFile])
      await cliOk(home, ["export", root, "-o", rootFile])

      // the retry's bundle names the run whose stages it reused, with that run's parameters (all six accounts)
      const rootParams = (JSON.parse(await cliOk(home, ["show", root, "--json", "--full"])) as SealedFile).run.params
      const sealed = read(retryFile)
      assert.strictEqual(sealed.format, "council-run-bundle/4")
      assert.deepStrictEqual(Object.keys(sealed.origins ?? {}), [root])
      assert.deepStrictEqual(sealed.origins?.[root], rootParams)
      assert.notDeepEqual(sealed.run.params["accounts"], rootParams["accounts"])
      assert.deepStrictEqual(Object.keys(sealed.hashes.origins ?? {}), [root])
      assert.deepStrictEqual((JSON.parse(await cliOk(home, ["show", retry, "--json", "--full"])) as SealedFile).origins, sealed.origins)
      // a run that reused nothing carries none of it
      const plain = read(rootFile)
      assert.strictEqual(plain.format, "council-run-bundle/4")
      assert.notProperty(plain, "origins")
      assert.notProperty(plain.hashes, "origins")

      // another home, which has never seen the first run: every stage identical, nothing asked of the models
      const asked = fake.requests.length
      const elsewhere = freshHome()
      const replayed = await cliInProcess(elsewhere, ["replay", retryFile])
      assert.strictEqual(replayed.code, 0, failureOf(["replay", retryFile], replayed))
      assert.match(replayed.stdout, new RegExp(`^ {2}PmPitches\\s+identical$`, "m"))
      assert.include(replayed.stdout, `replay of ${retry}: every stage identical`)
      assert.strictEqual(fake.requests.length, asked)

      // the origin's parameters edited: refused with one line, exit 2, nothing written
      const editedFile = join(dir, "edited.json")
      write(editedFile, { ...sealed, origins: { [root]: { ...rootParams, accounts: sealed.run.params["accounts"] } } })
      const refusal = `error: ${editedFile} was changed after export: the parameters of run ${root} (whose stages it reused) do not match their hash; refusing it`
      const other = freshHome()
      for (const args of [["replay", editedFile], ["import", editedFile]]) {
        const r = await cliInProcess(other, args)
        assert.strictEqual(r.code, 2, failureOf(args, r))
        assert.strictEqual(r.stderr.trim(), refusal)
        assert.strictEqual(r.stdout, "")
      }
      assert.strictEqual(fingerprint(other), "absent")

      // the bundle this version's predecessor wrote of the same run (/3: no origins) says what it said
      const olderFile = join(dir, "older.json")
      const { origins: _, ...rest } = sealed
      const { origins: __, ...hashes } = sealed.hashes
      write(olderFile, { ...rest, format: "council-run-bundle/3", hashes })
      const older = await cliInProcess(freshHome(), ["replay", olderFile])
      assert.strictEqual(older.code, 1, failureOf(["replay", olderFile], older))
      assert.match(older.stdout, /^ {2}PmPitches\s+FAILED: replay has no recording for pm\.pitch/m)
      assert.strictEqual(older.stderr.trim().split("\n").at(-1), `error: replay of ${retry} diverged from the recorded run`)
      // … and in the home that holds the first run, identical, read from its store as before
      const atHome = await cliInProcess(home, ["replay", olderFile])
      assert.strictEqual(atHome.code, 0, failureOf(["replay", olderFile], atHome))
      assert.include(atHome.stdout, `replay of ${retry}: every stage identical`)

      // import: the first run first (its parent), then the retry; replay <id> of the imported retry is identical
      const alone = await cliInProcess(elsewhere, ["import", retryFile])
      assert.strictEqual(alone.code, 2, failureOf(["import", retryFile], alone))
      assert.match(alone.stderr, new RegExp(`its run was forked from ${root}, which is not in this store \\(import that run first\\)`))
      await cliOk(elsewhere, ["import", rootFile])
      // a bundle whose origin is rehashed to other parameters than this store holds for that run: refused
      const conflictingFile = join(dir, "conflicting.json")
      const otherParams = { ...rootParams, accounts: sealed.run.params["accounts"] }
      write(conflictingFile, { ...sealed, origins: { [root]: otherParams }, hashes: { ...sealed.hashes, origins: { [root]: hashOf(otherParams) } } })
      const before = fingerprint(elsewhere)
      const conflicting = await cliInProcess(elsewhere, ["import", conflictingFile])
      assert.strictEqual(conflicting.code, 2, failureOf(["import", conflictingFile], conflicting))
      assert.strictEqual(conflicting.stderr.trim(), `error: cannot import ${conflictingFile}: it reused stages of run ${root}, which this store holds with other parameters`)
      assert.strictEqual(fingerprint(elsewhere), before)
      await cliOk(elsewhere, ["import", retryFile])
      const imported = await cliInProcess(elsewhere, ["replay", retry])
      assert.strictEqual(imported.code, 0, failureOf(["replay", retry], imported))
      assert.include(imported.stdout, `replay of ${retry}: every stage identical`)
      assert.strictEqual(fake.requests.length, asked)
    } finally {
      await fake.close()
    }
  }, 120_000)
})
