import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { AccountRow, OrderRow, PositionRow } from "../src/Ledger.ts"
import * as RowGuard from "../src/RowGuard.ts"

const order = {
  id: "o-1",
  account: "CLAUDE",
  client_order_id: "c-1",
  parent_id: null,
  exit_group: "o-1",
  position_effect: "open",
  symbol: "SPY",
  side: "buy",
  qty: 10,
  notional: null,
  type: "limit",
  time_in_force: "day",
  limit_price: 100.5,
  stop_price: null,
  trail_price: null,
  trail_percent: null,
  hwm: null,
  order_class: "simple",
  status: "new",
  triggered: 0,
  filled_qty: 0,
  filled_avg_price: null,
  extended_hours: 0,
  session: "2026-08-03",
  active_after: "2026-08-02",
  updated_at: "2026-08-03T13:30:00.000Z",
  submitted_at: "2026-08-03T13:30:00.000Z",
  filled_at: null,
  canceled_at: null,
  expired_at: null
}

/** Each a change of one field that `Schema.is` refuses, or accepts. */
const variants: ReadonlyArray<Record<string, unknown>> = [
  {},
  { account: "claude" },
  { account: "" },
  { symbol: "spy" },
  { symbol: "TOOLONGTICKER" },
  { session: "2026-8-3" },
  { active_after: null },
  { active_after: "yesterday" },
  { side: "short" },
  { status: "unknown" },
  { status: "filled" },
  { qty: "10" },
  { qty: Number.NaN },
  { notional: 500 },
  { notional: "500" },
  { trail_percent: 2.5 },
  { hwm: "101" },
  { limit_price: undefined },
  { parent_id: 1 },
  { parent_id: "p-1" },
  { filled_at: "2026-08-03T20:00:00.000Z" },
  { position_effect: null },
  { extra: "ignored" }
]

/** A row with an array of structs (a snapshot's positions), one element checked by `Schema.is` of a branded field. */
const WithPositions = Schema.Struct({
  account: Schema.String,
  positions: Schema.Array(Schema.Struct({ symbol: Schema.String.check(Schema.isPattern(/^[A-Z]{1,5}$/)), qty: Schema.Finite, side: Schema.Literals(["long", "short"]) }))
})
const position = { symbol: "SPY", qty: 3, side: "long" }
const sparse: Array<unknown> = [position]
sparse.length = 2
const withPositions: ReadonlyArray<unknown> = [
  { account: "A", positions: [] },
  { account: "A", positions: [position, { ...position, symbol: "QQQ", side: "short" }] },
  { account: "A", positions: [position, { ...position, extra: 1 }] },
  { account: "A", positions: [{ ...position, symbol: "spy" }] },
  { account: "A", positions: [{ ...position, side: "flat" }] },
  { account: "A", positions: [{ ...position, qty: Number.POSITIVE_INFINITY }] },
  { account: "A", positions: [{ symbol: "SPY", qty: 3 }] },
  { account: "A", positions: [position, null] },
  { account: "A", positions: sparse },
  { account: "A", positions: { 0: position, length: 1 } },
  { account: "A", positions: "[]" },
  { account: "A" }
]

describe("RowGuard", () => {
  it("says what Schema.is says of a row with an array of structs, element by element", () => {
    const is = Schema.is(WithPositions)
    const guard = RowGuard.make(WithPositions)
    for (let look = 0; look < 2; look++) {
      for (const row of withPositions) assert.strictEqual(guard(row), is(row), JSON.stringify(row))
    }
    assert.deepStrictEqual(withPositions.map(guard), [true, true, true, false, false, false, false, false, false, false, false, false])
  })

  it("says what Schema.is says of an order row, field by field, on the first look and on later ones", () => {
    const is = Schema.is(OrderRow)
    const guard = RowGuard.make(OrderRow)
    for (let look = 0; look < 2; look++) {
      for (const change of variants) {
        const row = { ...order, ...change }
        assert.strictEqual(guard(row), is(row), JSON.stringify(change))
      }
    }
    const { symbol: _, ...missing } = order
    assert.isFalse(guard(missing))
    assert.isFalse(guard(null))
    assert.isFalse(guard("row"))
    assert.isTrue(guard(Object.assign(Object.create(null), order)), "a null-prototype row, as node:sqlite returns it")
  })

  it("agrees on the other row structs", () => {
    const position = { symbol: "SPY", qty: -3, avg_entry_price: 10 }
    assert.isTrue(RowGuard.make(PositionRow)(position))
    assert.isFalse(RowGuard.make(PositionRow)({ ...position, symbol: "spy" }))
    const account = {
      id: "CLAUDE",
      uuid: "u",
      api_key_id: "k",
      api_secret: "s",
      cash: 1,
      created_at: "t",
      last_session: "2026-08-03",
      phase: "open"
    }
    for (const row of [account, { ...account, phase: "half" }, { ...account, last_session: "x" }, { ...account, cash: null }]) {
      assert.strictEqual(RowGuard.make(AccountRow)(row), Schema.is(AccountRow)(row))
    }
  })
})
