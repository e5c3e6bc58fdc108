// The floor of `pnpm bench exchange`: an HTTP server that answers `POST /v2/orders` the way the exchange server
// does on the wire (reads and parses the JSON body, answers an order-sized JSON body with the same headers) and
// does nothing else. Started as its own process by the benchmark; prints its URL like `exchange serve`.
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"

const order = (clientOrderId: unknown) => ({
  id: randomUUID(),
  client_order_id: clientOrderId,
  created_at: "2026-06-08T20:00:00.000Z",
  updated_at: "2026-06-08T20:00:00.000Z",
  submitted_at: "2026-06-08T20:00:00.000Z",
  filled_at: "2026-06-08T20:00:00.000Z",
  expired_at: null,
  canceled_at: null,
  failed_at: null,
  replaced_at: null,
  replaced_by: null,
  replaces: null,
  asset_id: "8ccae427-5dd0-5b2c-9a7f-0d3f2d8e2f11",
  symbol: "SPY",
  asset_class: "us_equity",
  notional: null,
  qty: "1",
  filled_qty: "1",
  filled_avg_price: "600.3",
  order_class: "",
  order_type: "market",
  type: "market",
  side: "buy",
  position_intent: "buy_to_open",
  time_in_force: "day",
  limit_price: null,
  stop_price: null,
  status: "filled",
  extended_hours: false,
  legs: null,
  trail_percent: null,
  trail_price: null,
  hwm: null
})

const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { readonly client_order_id?: unknown }
    const text = JSON.stringify(order(body.client_order_id))
    res.writeHead(200, {
      "X-Ratelimit-Limit": "100000000",
      "X-Ratelimit-Remaining": "99999999",
      "X-Ratelimit-Reset": String(Math.ceil(Date.now() / 60_000) * 60),
      "X-Request-ID": randomUUID(),
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(text))
    })
    res.end(text)
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address !== null && typeof address === "object") console.log(`listening on http://127.0.0.1:${address.port}`)
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
