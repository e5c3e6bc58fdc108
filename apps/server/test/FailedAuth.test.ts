/**
 * The failed-authentication throttle over time (a clock the test moves) and under a flood of clients: a lockout
 * ends, old failures are forgotten, and no more than `clients` entries are ever held.
 */
import { assert, describe, it } from "@effect/vitest"
import * as FailedAuth from "../src/FailedAuth.ts"

const LIMITS = { failures: 3, window: 60_000, lockout: 30_000, clients: 100 }

const clock = () => {
  let now = 1_000_000
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe("FailedAuth", () => {
  it("locks a client out for the lockout after `failures` 401s, then lets it try again", () => {
    const time = clock()
    const throttle = FailedAuth.make(LIMITS, time.now)
    throttle.answered("a", 401)
    throttle.answered("a", 401)
    assert.isUndefined(throttle.retryAfter("a"))
    throttle.answered("a", 401)
    assert.strictEqual(throttle.retryAfter("a"), 30)
    time.advance(29_500)
    assert.strictEqual(throttle.retryAfter("a"), 1, "rounded up")
    assert.isUndefined(throttle.retryAfter("b"), "another client")
    time.advance(500)
    assert.isUndefined(throttle.retryAfter("a"))
    throttle.answered("a", 401)
    assert.isUndefined(throttle.retryAfter("a"), "a new count after the lockout: one failure")
  })

  it("forgets failures older than the window", () => {
    const time = clock()
    const throttle = FailedAuth.make(LIMITS, time.now)
    throttle.answered("a", 401)
    throttle.answered("a", 401)
    time.advance(60_000)
    throttle.answered("a", 401)
    assert.isUndefined(throttle.retryAfter("a"))
  })

  it("a request that authenticates clears the client's failures", () => {
    const throttle = FailedAuth.make(LIMITS, clock().now)
    throttle.answered("a", 401)
    throttle.answered("a", 401)
    throttle.answered("a", 404)
    throttle.answered("a", 401)
    throttle.answered("a", 401)
    assert.isUndefined(throttle.retryAfter("a"))
    assert.strictEqual(throttle.size(), 1)
  })

  it("holds at most `clients` entries; past them, new clients share one and are throttled together", () => {
    const time = clock()
    const throttle = FailedAuth.make(LIMITS, time.now)
    for (let i = 0; i < 5_000; i++) throttle.answered(`10.0.${i >> 8}.${i & 255}`, 401)
    assert.isAtMost(throttle.size(), LIMITS.clients)
    assert.isDefined(throttle.retryAfter("192.0.2.1"), "a new client while the table is full of live entries: the shared one, locked")
    time.advance(LIMITS.window + LIMITS.lockout)
    throttle.answered("192.0.2.1", 401)
    assert.isAtMost(throttle.size(), LIMITS.clients)
    assert.isUndefined(throttle.retryAfter("192.0.2.1"), "expired entries are dropped to make room")
  })

  it("keys a client by its address: IPv4-mapped as IPv4, IPv6 by its /64", () => {
    assert.strictEqual(FailedAuth.clientOf("::ffff:192.0.2.7"), "192.0.2.7")
    assert.strictEqual(FailedAuth.clientOf("192.0.2.7"), "192.0.2.7")
    assert.strictEqual(FailedAuth.clientOf("2001:db8:1:2:aaaa::1"), FailedAuth.clientOf("2001:db8:1:2:bbbb::9"))
    assert.notStrictEqual(FailedAuth.clientOf("2001:db8:1:2::1"), FailedAuth.clientOf("2001:db8:1:3::1"))
    assert.strictEqual(FailedAuth.clientOf(undefined), "unknown")
  })
})
