/**
 * The trade-update feeds of the accounts someone listens to (`/stream`, `TradeStream`): each account's events
 * (`TradeEvents`), read from the ledger after every change and sent to the account's listeners, once each, in order.
 *
 * **When to use**: `ExchangeServer` makes one; its request pipeline calls `touched` after each call of an account,
 * its session endpoint `sessionMoved` after moving the default moment; `TradeStream` subscribes its connections.
 *
 * **How it works**
 * - A feed exists only while its account has a listener: an account nobody listens to costs one `Map` lookup per
 *   request, and a server nobody listens to runs nothing at all.
 * - A feed reads its events one read at a time (its lock), each in one transaction: pokes while a read is queued
 *   share it. A listener joins between two reads, and is acknowledged there (`onJoined`), so it gets every event
 *   read after its acknowledgement and none from before.
 * - What makes events: a call of the account on this server (`touched`); the default moment moving
 *   (`sessionMoved`: each listened account is brought to the new moment — its resting orders fill, expire — as a
 *   call would bring it, then read); a listener joining (the same); another process writing the same database:
 *   while anyone listens, SQLite's `data_version` is checked every `POLL_MS` (PostgreSQL: the feeds are read).
 *
 * **Gotchas**
 * - Bringing a listened account to the moment is a call like any other: it pins the account there, as an SDK call
 *   without a session header does.
 * - A failed read is logged and leaves the cursor where it was: the next poke reads the same events again.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Semaphore from "effect/Semaphore"
import type * as SqlClient from "effect/sql/SqlClient"
import type { AccountId } from "@council/domain"
import type { LocalExchange } from "../LocalExchange.ts"
import * as TradeEvents from "./TradeEvents.ts"

/** How often, while anyone listens, the feeds look for another process's commits. */
export const POLL_MS = 200

/** A listener: takes each event's frame (the JSON of `{"stream":"trade_updates","data":…}` as bytes). */
export interface Subscriber {
  readonly send: (frame: Uint8Array) => void
}

interface Feed {
  readonly account: AccountId
  readonly subscribers: Set<Subscriber>
  readonly lock: Semaphore.Semaphore
  cursor: TradeEvents.Cursor | undefined
  /** A read is queued (not yet started): another poke joins it. */
  queued: boolean
  /** The queued read brings the account to the present first. */
  advance: boolean
}

export const frameOf = (message: unknown): Uint8Array => Buffer.from(JSON.stringify(message))

export const make = Effect.fnUntraced(function*(exchange: LocalExchange["Service"], sql: SqlClient.SqlClient) {
  const events = TradeEvents.make(sql)
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  // tracing off, as for requests: the server exports no spans
  const run = yield* FiberSet.makeRuntime<never>().pipe(Effect.withTracerEnabled(false))
  const feeds = new Map<AccountId, Feed>()

  /** `effect` in one transaction: one view of the ledger (PostgreSQL: a snapshot for the whole transaction). */
  const consistent = <A, E>(effect: Effect.Effect<A, E>) =>
    sql.withTransaction(pg ? Effect.andThen(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`, effect) : effect)

  const logged = (what: string) => <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.catchCause(Effect.asVoid(effect), (cause) => Effect.logWarning(`exchange stream: ${what} failed`, cause))

  const read = (feed: Feed) =>
    Effect.suspend(() => {
      const cursor = feed.cursor
      if (cursor === undefined || feed.subscribers.size === 0) return Effect.void
      return Effect.map(consistent(events.read(feed.account, cursor)), (found) => {
        feed.cursor = found.cursor
        for (const data of found.events) {
          const frame = frameOf({ stream: "trade_updates", data })
          for (const subscriber of feed.subscribers) subscriber.send(frame)
        }
      })
    })

  const poke = (feed: Feed, advance: boolean) => {
    if (advance) feed.advance = true
    if (feed.queued) return
    feed.queued = true
    run(feed.lock.withPermit(Effect.suspend(() => {
      feed.queued = false
      const bring = feed.advance
      feed.advance = false
      return bring ? Effect.andThen(Effect.ignore(exchange.account(feed.account)), read(feed)) : read(feed)
    })).pipe(logged(`reading ${feed.account}'s events`)))
  }

  // while anyone listens: another connection's commits (SQLite's data_version moves with them)
  let polling = false
  let version = ""
  const tick: Effect.Effect<void> = Effect.suspend(() => {
    if (feeds.size === 0) {
      polling = false
      return Effect.void
    }
    const changed = pg
      ? Effect.succeed(true)
      : Effect.map(sql`PRAGMA data_version`, (rows) => {
        const now = JSON.stringify(rows)
        const moved = now !== version
        version = now
        return moved
      })
    return Effect.sleep(POLL_MS).pipe(
      Effect.andThen(changed),
      Effect.map((moved) => {
        if (moved) for (const feed of feeds.values()) poke(feed, false)
      }),
      logged("looking for other processes' commits"),
      Effect.andThen(tick)
    )
  })

  const unsubscribe = (account: AccountId, subscriber: Subscriber) => {
    const feed = feeds.get(account)
    if (feed === undefined) return
    feed.subscribers.delete(subscriber)
    if (feed.subscribers.size === 0) feeds.delete(account)
  }

  /** Adds `subscriber` to the account's feed between two reads, calls `onJoined` there, then brings the account to the present. */
  const subscribe = (account: AccountId, subscriber: Subscriber, onJoined: () => void): Effect.Effect<void, unknown> =>
    Effect.suspend(() => {
      let feed = feeds.get(account)
      if (feed === undefined) {
        feed = { account, subscribers: new Set(), lock: Semaphore.makeUnsafe(1), cursor: undefined, queued: false, advance: false }
        feeds.set(account, feed)
        if (!polling) {
          polling = true
          run(tick)
        }
      }
      const joined = feed
      return joined.lock.withPermit(Effect.gen(function*() {
        // the feed was dropped (its last listener left) while this waited: join the account's current one
        if (feeds.get(account) !== joined) return false
        if (joined.cursor === undefined) joined.cursor = yield* consistent(events.start(account))
        joined.subscribers.add(subscriber)
        onJoined()
        return true
      })).pipe(
        Effect.onError(() => Effect.sync(() => joined.subscribers.size === 0 && feeds.get(account) === joined && feeds.delete(account))),
        Effect.flatMap((added) => added ? Effect.sync(() => poke(joined, true)) : subscribe(account, subscriber, onJoined))
      )
    })

  return {
    subscribe,
    unsubscribe,
    /** A call of `account` ended: it may have changed the account. */
    touched: (account: AccountId) => {
      const feed = feeds.get(account)
      if (feed !== undefined) poke(feed, false)
    },
    /** The default moment moved: every listened account is brought to it. */
    sessionMoved: () => {
      for (const feed of feeds.values()) poke(feed, true)
    },
    /** How many accounts have a listener. */
    listened: () => feeds.size
  }
})

export type TradeFeeds = Effect.Success<ReturnType<typeof make>>
