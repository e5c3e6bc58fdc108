/**
 * API key pairs of exchange accounts: generated when an account is created (an Alpaca-style `PK…` key id and a
 * 40-character secret) and looked up by key id when a request authenticates.
 *
 * **Gotchas**
 * - A key pair never changes once created, so `KeyCache` keeps every pair it has seen: a server authenticates
 *   repeat callers without touching the database. An unknown key id is looked up every time (another process may
 *   just have created the account).
 * - Secrets compare in constant time.
 *
 * @since 0.1.0
 */
import { randomInt, randomUUID, timingSafeEqual } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { AccountId } from "@council/domain"
import type { SessionPoint } from "./Calendar.ts"
import type { ExchangeAccount } from "./ExchangeRecords.ts"
import type { AccountRow } from "./Ledger.ts"

const ALNUM_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const ALNUM = `${ALNUM_UPPER}abcdefghijklmnopqrstuvwxyz`
const randomString = (alphabet: string, length: number): string =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("")

/** A new account's row at `point`: `initialCash`, a fresh key pair, created at `at` (ledger timestamp text). */
export const newAccountRow = (id: AccountId, point: SessionPoint, at: string, initialCash: number): AccountRow => ({
  id,
  uuid: randomUUID(),
  api_key_id: `PK${randomString(ALNUM_UPPER, 18)}`,
  api_secret: randomString(ALNUM, 40),
  cash: initialCash,
  created_at: at,
  last_session: point.session,
  phase: point.phase
})

export const secretMatches = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected, "utf8")
  const b = Buffer.from(given, "utf8")
  return a.length === b.length && timingSafeEqual(a, b)
}

/** What a key pair identifies: the account fields that never change. */
export type KeyHolder = Omit<ExchangeAccount, "lastSession" | "point">

/** Key ids seen so far and their accounts, in front of a lookup that reads the ledger. */
export const makeKeyCache = <E>(lookup: (keyId: string) => Effect.Effect<Option.Option<KeyHolder>, E>) => {
  const known = new Map<string, KeyHolder>()
  const find = (keyId: string): Effect.Effect<Option.Option<KeyHolder>, E> => {
    const hit = known.get(keyId)
    if (hit !== undefined) return Effect.succeed(Option.some(hit))
    return Effect.tap(lookup(keyId), Option.match({ onNone: () => Effect.void, onSome: (a) => Effect.sync(() => known.set(keyId, a)) }))
  }
  const check = (account: KeyHolder, secret: string) => secretMatches(Redacted.value(account.secretKey), secret)
  /** The account whose pair this is, if any. */
  const authenticate = (keyId: string, secret: string) => Effect.map(find(keyId), Option.filter((account) => check(account, secret)))
  /**
   * `authenticate` without an effect for a key id seen before: its account, or `undefined` for a wrong secret;
   * `null` when the key id is not cached yet (ask `authenticate`).
   */
  const authenticateCached = (keyId: string, secret: string): KeyHolder | undefined | null => {
    const hit = known.get(keyId)
    return hit === undefined ? null : check(hit, secret) ? hit : undefined
  }
  return { authenticate, authenticateCached }
}
