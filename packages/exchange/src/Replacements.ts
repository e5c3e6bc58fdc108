/**
 * Order replacement (Alpaca's `PATCH /v2/orders/{order_id}`): the old order leaves the book as `replaced`, a new
 * order is placed by the ordinary rules, and the link between them is kept (`exchange_replacements`, migration
 * 0047) for the orders' `replaces`, `replaced_by` and `replaced_at`.
 *
 * **When to use**: `LocalExchange.replaceOrder`, inside a write call that may fail after writing: a refused new
 * order (buying power, a client order id already taken) takes the old order's replacement back.
 *
 * **Gotchas**
 * - Only a simple order with nothing filled is replaced; a bracket/OCO/OTO order, a leg, or a partly filled order
 *   is refused (422). Alpaca replaces some of those; the local exchange does not. A notional order is refused too
 *   (Alpaca: non-IPO notional orders cannot be replaced). A trailing stop's replacement trails afresh from the
 *   present price.
 * - Exactly-once: the old order must still be open, so a replayed replace (same new client order id or not) is
 *   refused once the first one happened, and never places a second order.
 * - The new order is placed at the present like any order (`Placement`): it fills no earlier than it was sent.
 * - The old order is canceled through the call's ledger (so its `WorkingSet` drops it from the open orders), then
 *   marked `replaced` (its `canceled_at` cleared): Alpaca's replaced orders are not canceled ones.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import { type AccountId, OPEN_STATUSES, type OrderIntent } from "@council/domain"
import { reject } from "./ExchangeErrors.ts"
import type { ExchangeOrder } from "./ExchangeRecords.ts"
import type { CallLedger } from "./ExchangeCalls.ts"
import type { PlacedAt } from "./Placement.ts"
import type { Book } from "./Settlement.ts"

/** One replacement: `replaced` was replaced by `replacement` at `at`. */
export interface ReplacementLink {
  readonly replaced: string
  readonly replacement: string
  readonly at: string
}

const LinkRow = Schema.Struct({ replaced_id: Schema.String, replacement_id: Schema.String, replaced_at: Schema.String })
const decodeLinks = Schema.decodeUnknownEffect(Schema.Array(LinkRow))

export const make = (sql: SqlClient.SqlClient) => {
  /** The replacements that concern any of `ids` (as the replaced order or as its replacement). */
  const linksOf = (account: AccountId, ids: ReadonlyArray<string>) =>
    ids.length === 0
      ? Effect.succeed<ReadonlyArray<ReplacementLink>>([])
      : sql`SELECT replaced_id, replacement_id, replaced_at FROM exchange_replacements
          WHERE account = ${account} AND (replaced_id IN ${sql.in(ids)} OR replacement_id IN ${sql.in(ids)})`.pipe(
        Effect.flatMap(decodeLinks),
        Effect.map((rows) => rows.map((r): ReplacementLink => ({ replaced: r.replaced_id, replacement: r.replacement_id, at: r.replaced_at })))
      )

  /** Replaces the account's order `orderId` by `intent` (already checked as a request), at `now`. */
  const replace = Effect.fnUntraced(function*(
    book: Book,
    now: PlacedAt,
    orderId: string,
    intent: OrderIntent,
    { ledger, placement }: CallLedger
  ) {
    const account = book.account
    const old = yield* ledger.orderById(account, orderId)
    if (old === undefined) return yield* reject(account, "NotFound", "order not found")
    if (old.notional !== null) return yield* reject(account, "InvalidRequest", "notional orders cannot be replaced on the local exchange")
    if (old.parent_id !== null || old.order_class !== "simple") {
      return yield* reject(account, "InvalidRequest", "only simple orders can be replaced on the local exchange")
    }
    if (!OPEN_STATUSES.has(old.status) || old.status === "held") {
      return yield* reject(account, "InvalidRequest", `order is not replaceable (status ${old.status})`)
    }
    if (old.filled_qty > 0) {
      return yield* reject(account, "InvalidRequest", "a partially filled order cannot be replaced on the local exchange")
    }
    if (intent.symbol !== old.symbol || intent.side !== old.side || intent.type !== old.type) {
      return yield* reject(account, "InvalidRequest", "a replacement keeps the order's symbol, side and type")
    }
    // canceled first, so that the new order is checked without the old one's reservation
    yield* ledger.cancelGroup(account, old.id, now.at)
    const placed: ExchangeOrder = yield* placement.place(book, now, intent)
    const at = placed.submittedAt
    yield* sql`UPDATE exchange_orders SET status = 'replaced', canceled_at = NULL, updated_at = ${at}
      WHERE account = ${account} AND id = ${old.id}`
    yield* sql`INSERT INTO exchange_replacements (replaced_id, replacement_id, account, replaced_at)
      VALUES (${old.id}, ${placed.id}, ${account}, ${at})`
    return placed
  })

  return { linksOf, replace }
}

export type Replacements = ReturnType<typeof make>
