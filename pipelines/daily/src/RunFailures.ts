/**
 * The accounts a completed run's execution failed (or could not evaluate): such a run is `completed` — every stage
 * ran — though `run daily` exited 1, and the next run of that day retries them.
 *
 * **When to use**: wherever runs are listed — `pnpm pipeline runs` and the monitor's `/api/runs` (its summaries'
 * `failedAccounts`, which the dashboard reads) — so both say the same. A module of its own, loading no stage.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionReport, TradingDay } from "@council/domain"
import { type RunRecord, RunStore, type StageOutput } from "@council/engine"

/** A completed run's accounts whose execution failed (or could not be evaluated), and of how many accounts. */
export interface FailedAccounts {
  readonly accounts: ReadonlyArray<string>
  readonly of: number
  /** Those of `accounts` whose key the broker refused (401): running the day again fails them until it is fixed. */
  readonly keyRefused: ReadonlyArray<string>
}

/** Where a run's accounts and their keys were configured (`AccountsConfig`'s sources, `TradingAccounts.source`). */
export const KeysFrom = Schema.Literals(["TRADING_ACCOUNTS_CONFIG", "per-account variables", "PAPER_ALPACA_*", "embedded default"])
export type KeysFrom = typeof KeysFrom.Type

const decodeKeysFrom = Schema.decodeUnknownOption(Schema.Struct({ keysFrom: Schema.optionalKey(KeysFrom) }))

/** Where a run's keys were configured, as its parameters recorded (`keysFrom`); `undefined` for runs from before it. */
export const keysFromOf = (params: unknown): KeysFrom | undefined =>
  Option.getOrUndefined(Option.flatMap(decodeKeysFrom(params), (p) => Option.fromNullishOr(p.keysFrom)))

/** The variables that hold an account's key pair (`AccountsConfig`'s names), key id first. */
export const keyVariables = (account: string): readonly [string, string] =>
  account === "DEFAULT_PAPER"
    ? ["PAPER_ALPACA_KEY_ID", "PAPER_ALPACA_SECRET_KEY"]
    : [`ALPACA_${account}_KEY_ID`, `ALPACA_${account}_SECRET_KEY`]

const KEY_REFUSED = "its key was refused: fix "

/**
 * Where `account`'s key pair is to be fixed, by where the run's keys were configured (`keysFrom`): the entry's
 * credentials in `TRADING_ACCOUNTS_CONFIG`, or the variables that hold the pair (`keyVariables`). Names only, never
 * a value. Unknown (`undefined`, a run from before it recorded `keysFrom`; the embedded default, which has no keys):
 * the variables, else the JSON's entry, as those runs said.
 */
export const keyPlace = (account: string, keysFrom: KeysFrom | undefined): string => {
  const [keyId, secretKey] = keyVariables(account)
  switch (keysFrom) {
    case "TRADING_ACCOUNTS_CONFIG":
      return `the credentials of ${account}'s entry in TRADING_ACCOUNTS_CONFIG`
    case "per-account variables":
    case "PAPER_ALPACA_*":
      return `${keyId} / ${secretKey}`
    default:
      return `${keyId} / ${secretKey} (or its credentials in TRADING_ACCOUNTS_CONFIG)`
  }
}

/**
 * What an account whose key pair the broker refused (401) is told in its execution message: running the day again
 * alone fails the same way, so it names where the pair is configured (`keyPlace`, by the run's recorded `keysFrom`:
 * a replay of a run from before it says what that run said).
 */
export const keyRefusedAdvice = (account: string, keysFrom: KeysFrom | undefined): string =>
  `${KEY_REFUSED}${keyPlace(account, keysFrom)}, then run the day again`

/**
 * Whether a failed account's message is a refused key's (`keyRefusedAdvice`). Read from its words rather than kept in
 * a field of its own, so the Execution reports of runs recorded before — and their replays — stay as they were.
 */
export const keyWasRefused = (execution: { readonly message: string }): boolean => execution.message.includes(KEY_REFUSED)

/**
 * What to do about a day's failed accounts (`run daily`'s closing line, `runs`' note): run the day again (`command`)
 * to retry them — but an account whose key the broker refused (`keyRefused`, 401) fails the same way until its key
 * is fixed, so its key's variables are named first.
 */
export const retryAdvice = (
  failed: ReadonlyArray<string>,
  keyRefused: ReadonlyArray<string>,
  command: string | undefined,
  keysFrom?: KeysFrom | undefined
): string => {
  const again = command === undefined ? "" : ` with: ${command}`
  const retried = failed.filter((a) => !keyRefused.includes(a))
  if (keyRefused.length === 0) return `run the day again to retry ${retried.length === 1 ? "it" : "them"}${again}; nothing is placed twice`
  const fix = keysFrom === "TRADING_ACCOUNTS_CONFIG"
    ? `fix the credentials of ${keyRefused.length === 1 ? `${keyRefused[0]}'s entry` : `the entries of ${keyRefused.join(", ")}`} in TRADING_ACCOUNTS_CONFIG`
    : keysFrom === "per-account variables" || keysFrom === "PAPER_ALPACA_*"
    ? `fix ${keyRefused.map((a) => keyVariables(a).join(" / ")).join(", ")}`
    : `fix ${keyRefused.map((a) => keyVariables(a).join(" / ")).join(", ")} (or the credentials in TRADING_ACCOUNTS_CONFIG)`
  const whose = `the broker refused the key of ${keyRefused.join(", ")}`
  return retried.length === 0
    ? `${whose}: ${fix}, then run the day again${again}; nothing is placed twice`
    : `run the day again to retry ${retried.join(", ")}${again}; nothing is placed twice; ${whose}: ${fix} first`
}

const decodeExecution = Schema.decodeUnknownOption(Schema.toCodecJson(ExecutionReport))

/** The Execution reports of `outputs` that read back, with what tells a day's runs apart. */
const reportsOf = (outputs: ReadonlyArray<StageOutput>) =>
  outputs.flatMap(({ dryRun, output, runId, startedAt, tradingDay }) => {
    const report = output === undefined ? Option.none() : decodeExecution(output)
    return Option.isNone(report) ? [] : [{ runId, dryRun, startedAt, tradingDay, accounts: report.value.accounts }]
  })

/**
 * Of each failed run's accounts (`FailedAccounts`), those the day was run again for: a later completed run of that
 * day, not a dry run, executed them (succeeded: neither failed nor evaluated as a dry-run account). Both runs are
 * this home's own (`local`): an imported run traded another home's accounts, and `run daily`'s day chain counts
 * none. Account → the first such run's id, by failed run id.
 */
export type RetriedAccounts = ReadonlyMap<string, ReadonlyMap<string, string>>

/**
 * The runs of `runs` that completed with failed accounts, by run id (a run without failures is absent), and which
 * of those accounts a later run of the day traded (`retried`): their days' Execution outputs, read in one query per
 * pipeline over the runs' days (a retry listed on another page is found too).
 */
export const failedAndRetriedOf = (runs: ReadonlyArray<RunRecord>) =>
  Effect.gen(function*() {
    const completed = runs.filter((r) => r.status === "completed")
    const failed = new Map<string, FailedAccounts>()
    const retried = new Map<string, Map<string, string>>()
    if (completed.length === 0) return { failed, retried }
    const listed = new Map(completed.map((r) => [r.id, r] as const))
    const days = completed.map((r) => r.tradingDay).sort()
    const store = yield* RunStore
    for (const pipeline of new Set(completed.map((r) => r.pipeline))) {
      const query = { pipeline, stage: "Execution", from: days[0]!, to: days.at(-1)! }
      // this home's runs apart from imported ones: only they retry (each read once)
      const local = reportsOf(yield* store.stageOutputs({ ...query, origin: "local" }))
      const imported = reportsOf(yield* store.stageOutputs({ ...query, origin: "imported" }))
      const own = new Set(local.map((o) => o.runId))
      for (const { accounts: executed, runId } of [...local, ...imported]) {
        const run = listed.get(runId)
        if (run === undefined) continue
        const accounts = executed.filter((a) => a.status === "failed")
        if (accounts.length === 0) continue
        failed.set(runId, {
          accounts: accounts.map((a) => a.account),
          of: executed.length,
          keyRefused: accounts.filter(keyWasRefused).map((a) => a.account)
        })
        const later = own.has(runId) ? local.filter((o) => o.tradingDay === run.tradingDay && !o.dryRun && o.startedAt > run.startedAt) : []
        for (const { account } of accounts) {
          const by = later.find((o) => o.accounts.some((a) => a.account === account && a.status === "succeeded"))
          if (by !== undefined) retried.set(runId, (retried.get(runId) ?? new Map()).set(account, by.runId))
        }
      }
    }
    return { failed, retried }
  })

/** A later run of the day that traded some of a failed run's accounts (`RetriedAccounts`, grouped by that run). */
export interface Retry {
  readonly run: string
  readonly accounts: ReadonlyArray<string>
}

/** A failed run's accounts with the runs that traded them since: what `runs --json` and `/api/runs` give. */
export interface FailedSummary extends FailedAccounts {
  /** The later runs of the day that traded some of `accounts` (each account under the first such run), in run order. */
  readonly retried: ReadonlyArray<Retry>
}

/** `retried` (account → the run that traded it) grouped by run, accounts in the order they failed. */
export const retriesOf = (failed: FailedAccounts, retried: ReadonlyMap<string, string> | undefined): ReadonlyArray<Retry> => {
  const byRun = new Map<string, Array<string>>()
  for (const account of failed.accounts) {
    const by = retried?.get(account)
    if (by !== undefined) byRun.set(by, [...(byRun.get(by) ?? []), account])
  }
  return [...byRun].map(([run, accounts]) => ({ run, accounts }))
}

/** `failedAndRetriedOf`'s outcome as each failed run's `FailedSummary`, by run id. */
export const failedSummaries = (
  { failed, retried }: { readonly failed: ReadonlyMap<string, FailedAccounts>; readonly retried: RetriedAccounts }
): ReadonlyMap<string, FailedSummary> =>
  new Map([...failed].map(([id, f]) => [id, { ...f, retried: retriesOf(f, retried.get(id)) }] as const))

/** `failedAndRetriedOf`'s failed accounts with their retries (`FailedSummary`), by run id. */
export const failedSummariesOf = (runs: ReadonlyArray<RunRecord>) => Effect.map(failedAndRetriedOf(runs), failedSummaries)

/** `failedAndRetriedOf`'s failed accounts alone. */
export const failedAccountsOf = (runs: ReadonlyArray<RunRecord>) => Effect.map(failedAndRetriedOf(runs), ({ failed }) => failed)

/**
 * A completed run's accounts its reconciliation could not read, so the session has no snapshot of them (no
 * equity point that day, and the leaderboard leaves the day out) — each with its message, and what became of it:
 * `readBy` a later run of the day that read it (a retry: `reconciles`), `laterBy` a run of a later session that
 * read it (the ledger moved past the day for it: the day's snapshot can no longer be taken), or neither (running
 * the day again reads it alone).
 */
export interface UnreadAccount {
  readonly account: string
  readonly message: string
  readonly readBy?: string
  readonly laterBy?: string
}

const ReconcileAccounts = Schema.Struct({
  accounts: Schema.Array(Schema.Struct({ account: Schema.String, status: Schema.String, message: Schema.String }))
})
const decodeReconcile = Schema.decodeUnknownOption(Schema.toCodecJson(ReconcileAccounts))

/** The last trading day a `stageOutputs` query can name: every run after `from`. */
const LAST_DAY = "9999-12-31"

/**
 * Of `runs`, those whose Reconcile could not read an account, by run id (`UnreadAccount`), from this home's own
 * runs' Reconcile outputs (one query a pipeline, from the runs' first day on). A day's account is told once, by the
 * first run of the day that could not read it: a retry that reused that run's reconciliation says the same.
 */
export const unreadAccountsOf = (runs: ReadonlyArray<RunRecord>) =>
  Effect.gen(function*() {
    const unread = new Map<string, Array<UnreadAccount>>()
    const completed = runs.filter((r) => r.status === "completed" && !r.dryRun)
    if (completed.length === 0) return unread
    const listed = new Set(completed.map((r) => r.id))
    const store = yield* RunStore
    for (const pipeline of new Set(completed.map((r) => r.pipeline))) {
      const from = completed.map((r) => r.tradingDay).sort()[0]!
      const outputs = (yield* store.stageOutputs({ pipeline, stage: "Reconcile", from, to: TradingDay.make(LAST_DAY), origin: "local" })).flatMap((o) => {
        const report = o.output === undefined ? Option.none() : decodeReconcile(o.output)
        return Option.isNone(report) ? [] : [{ ...o, accounts: report.value.accounts }]
      })
      const told = new Set<string>()
      for (const o of outputs) {
        if (o.dryRun) continue
        for (const a of o.accounts.filter((x) => x.status === "failed")) {
          const key = `${o.tradingDay} ${a.account}`
          if (told.has(key)) continue
          told.add(key)
          if (!listed.has(o.runId)) continue
          const reads = outputs.filter((p) => p.startedAt > o.startedAt && p.accounts.some((x) => x.account === a.account && x.status === "recorded"))
          const readBy = reads.find((p) => p.tradingDay === o.tradingDay)?.runId
          const laterBy = reads.find((p) => p.tradingDay > o.tradingDay)?.runId
          const entry: UnreadAccount = readBy !== undefined
            ? { account: a.account, message: a.message, readBy }
            : laterBy !== undefined
            ? { account: a.account, message: a.message, laterBy }
            : { account: a.account, message: a.message }
          unread.set(o.runId, [...(unread.get(o.runId) ?? []), entry])
        }
      }
    }
    return unread
  })

/**
 * A run's unread account as `runs --json` and `/api/runs` give it (their summaries' `unread`): `readAgainAs` the
 * later run of the day that read it (`readBy`), `readLaterBy` a later session's run that read it (`laterBy`: the
 * day's gap stays), both `null` while running the day again still fills it.
 */
export interface UnreadSummary {
  readonly account: string
  readonly message: string
  readonly readAgainAs: string | null
  readonly readLaterBy: string | null
}

/** `unreadAccountsOf`'s accounts of one run as `UnreadSummary`s, in the order it told them. */
export const unreadSummaries = (unread: ReadonlyArray<UnreadAccount>): ReadonlyArray<UnreadSummary> =>
  unread.map((u) => ({ account: u.account, message: u.message, readAgainAs: u.readBy ?? null, readLaterBy: u.laterBy ?? null }))
