import type { OrderClass, OrderType } from "@council/domain"

/**
 * What an order of the council is for, in words, by its class: the risk gate places a protective exit of shares
 * already held as an OCO (a take-profit limit and a stop), an entry under `after-close` as a bracket, and closes,
 * reductions and `close` entries as simple orders (`reason`, the gate's own words, says which). A `SELL 13 SPY
 * limit` the day after a LONG SPY entry reads as an exit, not as a reversal. An OTO is never the gate's (an order
 * placed at the broker by other means): it carries one exit, a take-profit or a stop, which `legs` (the types of
 * its legs, as listed) tells apart.
 */
export const orderPurpose = (orderClass: OrderClass, reason?: string, qty?: number, legs?: ReadonlyArray<OrderType>): string => {
  switch (orderClass) {
    case "oco":
      return "protective exit of shares held (take-profit limit + stop)"
    case "bracket":
      return "entry, with its take-profit and stop"
    case "oto":
      return legs?.some((type) => type === "stop" || type === "stop_limit")
        ? "entry, with its stop"
        : legs?.includes("limit")
        ? "entry, with its take-profit"
        : "entry, with one exit (a take-profit or a stop)"
    case "simple": {
      const verb = reason?.split(" ")[0]
      if (verb === "open" || verb === "add") {
        // the risk gate protects whole shares only (a fractional entry is a simple day order, never a bracket)
        if (qty !== undefined && !Number.isInteger(qty)) {
          return qty < 1
            ? "entry of a fraction of a share (no protective exit: exits are placed for whole shares)"
            : "entry (the next run's protective exit, once it filled, covers its whole shares only)"
        }
        return "entry (its protective exit is placed by the next run, once it filled)"
      }
      return verb === "close" ? "close of a position" : verb === "reduce" ? "reduction of a position" : reason ?? ""
    }
  }
}

/** An order's leg: the other half of a protective exit, or an entry's exit. */
export const legPurpose = (parent: OrderClass): string =>
  parent === "oco" ? "protective exit: its stop leg" : "exit leg of the entry"

/**
 * The risk gate's kind of order (`open`, `add`, `close`, `reduce`, `protect`) read from its deterministic client
 * order id (`<day>-<account>-<symbol>-<kind>-<hash>`), for orders read back from a broker (they carry no reason);
 * `undefined` for any other order (a manual one, a leg).
 */
export const kindOfClientOrderId = (clientOrderId: string): string | undefined =>
  /-(open|add|close|reduce|protect)-[0-9a-f]+$/.exec(clientOrderId)?.[1]
