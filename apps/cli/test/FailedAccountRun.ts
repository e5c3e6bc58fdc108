import { assert } from "@effect/vitest"
import { clockedBroker, unauthorizedBroker } from "./BrokerDoubles.ts"
import { cliInProcess, FAST_ALPACA_RETRY } from "./InProcess.ts"

/**
 * A run whose account failed, in `home`: a dry run of 2026-06-05 for CLAUDE on a 127.0.0.1 broker double, then a fork
 * of it from RiskApproval while the broker answers nothing — every stage runs, so the fork is `completed`, but CLAUDE
 * could not be evaluated and `replay` exits 1. Resolves with both runs' ids.
 */
export const failedAccountRun = async (home: string) => {
  const broker = await clockedBroker("2026-11-23")
  try {
    const env = {
      TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "CLAUDE", mode: "PAPER", credentials: { keyId: "PKCLAUDE", secretKey: "sk-CLAUDE" }, baseUrl: broker.url }])
    }
    const dry = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], env)
    assert.strictEqual(dry.code, 0, dry.stderr)
    const parent = /^run (\S+) · /m.exec(dry.stdout)?.[1] ?? ""
    broker.setUnavailable(true)
    const fork = await cliInProcess(home, ["replay", parent, "--from", "RiskApproval", "--dry-run"], env, { alpacaRetry: FAST_ALPACA_RETRY })
    assert.strictEqual(fork.code, 1, fork.stderr)
    assert.match(fork.stdout, /^CLAUDE\s+failed\s/m)
    return { parent, failing: /^forked run (\S+) from /m.exec(fork.stdout)?.[1] ?? "" }
  } finally {
    broker.close()
  }
}

/**
 * A fork of `parent` (`failedAccountRun`'s dry run) from RiskApproval while the broker refuses CLAUDE's key (401): the
 * fork is `completed` with CLAUDE failed for its key. Resolves with the fork's id.
 */
export const keyRefusedFork = async (home: string, parent: string) => {
  const broker = await unauthorizedBroker()
  try {
    const env = {
      TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "CLAUDE", mode: "PAPER", credentials: { keyId: "PKCLAUDE", secretKey: "sk-CLAUDE" }, baseUrl: broker.url }])
    }
    const fork = await cliInProcess(home, ["replay", parent, "--from", "RiskApproval", "--dry-run"], env, { alpacaRetry: FAST_ALPACA_RETRY })
    assert.strictEqual(fork.code, 1, fork.stderr)
    assert.match(fork.stdout, /^CLAUDE\s+failed\s.*its key was refused/m)
    return /^forked run (\S+) from /m.exec(fork.stdout)?.[1] ?? ""
  } finally {
    broker.close()
  }
}
