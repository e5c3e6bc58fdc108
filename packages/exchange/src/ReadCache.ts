/**
 * What the exchange read of an account, kept in memory between its writes: the account row, its open orders, its
 * positions and the listings built from them. A run reads the same accounts many times at one moment
 * (reconciliation, then the risk gate) and writes them only when it places orders or the present moves on.
 *
 * **When to use**: `LocalExchange` reads through `cached` outside write transactions, calls `confirm` once at the
 * start of every read call, and `invalidate`s an account when a write call for it starts and when it ends. A write
 * call starts from what is kept (`take`, after `confirmLocked` in its transaction: `WorkingSet`) and `remember`s
 * what it left of the account (its row, open orders, positions) once the write committed.
 *
 * **Validity**
 * - Every write of the exchange is a call for one account (`LocalExchange.withAccount`): that account's entries
 *   are dropped when the call starts and when it ends. Writes of one account never touch another's rows.
 * - Another connection (`exchange serve` and a CLI run sharing one SQLite file, a second process) is seen through
 *   SQLite's `PRAGMA data_version`, which changes when another connection commits: `confirm` drops everything
 *   then. It reads the counter once per synchronous stretch of the process (see `confirm`; a write transaction's
 *   look, `confirmLocked`, counts as the stretch's): a second connection
 *   in the same process that commits in the middle of such a stretch is seen at the next one. On PostgreSQL
 *   nothing is kept (no such counter; other clients write freely).
 * - A read that raced a write keeps nothing: an entry is stored only if its account's generation did not move
 *   while it was read.
 *
 * **Gotchas**: entries are shared objects: callers must not mutate what they get.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

/** Entries per account at most (listings are keyed by their query): beyond it the account starts over. */
const MAX_ENTRIES = 64

export const make = (sql: SqlClient.SqlClient, readVersion: Effect.Effect<ReadonlyArray<{ readonly data_version?: unknown }>, SqlError.SqlError>) => {
  const enabled = sql.onDialectOrElse({ sqlite: () => true, orElse: () => false })
  const entries = new Map<string, Map<string, unknown>>()
  const generations = new Map<string, number>()
  let epoch = 0
  let dataVersion: unknown = undefined

  const generation = (account: string) => generations.get(account) ?? 0

  /** Drops what is kept of `account`; returns a token saying "as of now", for `remember`. */
  const invalidate = (account: string): Token => {
    generations.set(account, generation(account) + 1)
    entries.delete(account)
    return { generation: generation(account), epoch }
  }

  /** Keeps `values` (key → value) of `account` if nothing moved since `token` (taken when the write that read them ended). */
  const remember = (account: string, values: object, token: Token) => {
    if (!enabled || generation(account) !== token.generation || epoch !== token.epoch) return
    for (const [key, value] of Object.entries(values)) if (value !== undefined) store(account, key, value)
  }

  const store = (account: string, key: string, value: unknown) => {
    let mine = entries.get(account)
    if (mine === undefined) entries.set(account, mine = new Map())
    else if (mine.size >= MAX_ENTRIES) mine.clear()
    mine.set(key, value)
  }

  /** What a look at `data_version` (`readVersion`) found: another connection's commit drops everything. */
  const seen = (rows: ReadonlyArray<{ readonly data_version?: unknown }>) => {
    const version = rows[0]?.data_version
    if (version !== dataVersion) {
      dataVersion = version
      epoch++
      entries.clear()
    }
  }
  /** Whether `data_version` was read in the current synchronous stretch (reset by the next microtask). */
  let looked = false
  const lookedUntilNextMicrotask = () => {
    looked = true
    queueMicrotask(() => (looked = false))
  }

  /**
   * Drops everything if another connection committed since the last look (SQLite); PostgreSQL: nothing kept. Read
   * calls that start in one synchronous stretch (a stage's concurrent reads of every account: Effect runs the
   * fibers it wakes one after another, with no microtask between them) share one look: whatever tells the process
   * of another connection's commit (a reply, a request, a child's exit) arrives as an event, after the stretch.
   */
  const confirm: Effect.Effect<void, SqlError.SqlError> = enabled
    ? Effect.suspend(() =>
      looked ? Effect.void : Effect.map(readVersion, (rows) => {
        lookedUntilNextMicrotask()
        seen(rows)
      })
    )
    : Effect.void

  /**
   * Inside a write transaction (SQLite: `BEGIN IMMEDIATE` holds the write lock, so no other connection commits
   * until it ends): drops everything if another connection committed since the last look, always asking SQLite
   * (never the shared look of `confirm`). What is kept afterwards is the database's state until the commit.
   *
   * It is also the stretch's look for `confirm`: what it saw holds until this transaction commits, and another
   * connection's commit after that is no more known to the rest of the stretch than one after a read's look.
   * Outside a transaction a look costs SQLite a shared lock taken and released (two `fcntl` calls, ~3-4 times the
   * pragma inside one), and nearly every read call that needs one starts in the stretch of a write's transaction.
   */
  const confirmLocked: Effect.Effect<void, SqlError.SqlError> = enabled
    ? Effect.map(readVersion, (rows) => {
      lookedUntilNextMicrotask()
      seen(rows)
    })
    : Effect.void

  /**
   * What is kept of `account` under `keys` (missing: not kept), then dropped as `invalidate` does: what a write call
   * of the account starts from, after `confirmLocked` in its transaction.
   */
  const take = <K extends string>(account: string, keys: ReadonlyArray<K>): { readonly [key in K]?: unknown } => {
    const mine = entries.get(account)
    const found: { [key in K]?: unknown } = {}
    if (mine !== undefined) for (const key of keys) if (mine.has(key)) found[key] = mine.get(key)
    invalidate(account)
    return found
  }

  /** `read`'s value for `key` of `account`: remembered until the account is written (see the module's rules). */
  const cached = <A, E, R>(account: string, key: string, read: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    if (!enabled) return read
    return Effect.suspend(() => {
      const hit = entries.get(account)?.get(key)
      if (hit !== undefined) return Effect.succeed(hit as A)
      const before = generation(account)
      const epochBefore = epoch
      return Effect.map(read, (value) => {
        if (generation(account) === before && epoch === epochBefore) store(account, key, value)
        return value
      })
    })
  }

  /**
   * What `confirm` then `cached` would answer at once, without running either: the entry of `account` under `key`
   * when this stretch already looked at `data_version` and the entry is kept; `undefined` otherwise (then run them).
   * For the per-call path of every read (`LocalExchange.withAccount`), which then takes no step of its own.
   */
  const keptNow = (account: string, key: string): unknown => (enabled && looked ? entries.get(account)?.get(key) : undefined)

  return { confirm, confirmLocked, cached, keptNow, take, invalidate, remember }
}

/** Where an account's entries stood when a write of it ended. */
export interface Token {
  readonly generation: number
  readonly epoch: number
}

export type ReadCache = ReturnType<typeof make>
