import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"

/** The first frame the server sends after `message`, read as JSON text (the trading stream's frames are binary). */
const answerTo = (socket: WebSocket, message: object) =>
  new Promise<unknown>((resolve, reject) => {
    socket.addEventListener("message", (event) => {
      const data: unknown = event.data
      resolve(JSON.parse(data instanceof ArrayBuffer ? new TextDecoder().decode(data) : String(data)))
    }, { once: true })
    socket.addEventListener("error", () => reject(new Error("the stream's connection failed")), { once: true })
    socket.send(JSON.stringify(message))
  })

describe("exchange serve's banner", () => {
  it("names the trade-updates stream's URL, and a bot authorizes there with the keys `exchange keys` prints", async () => {
    const served = await serveExchange(tempHome())
    try {
      const streamUrl = /trade updates \(Alpaca's websocket stream\): (ws:\/\/\S+)/.exec(served.banner)?.[1]
      assert.strictEqual(streamUrl, `${served.url.replace("http://", "ws://")}/stream`)
      const socket = new WebSocket(streamUrl!)
      socket.binaryType = "arraybuffer"
      await new Promise((resolve, reject) => {
        socket.addEventListener("open", resolve, { once: true })
        socket.addEventListener("error", reject, { once: true })
      })
      const key = served.keys[0]!
      const answer = await answerTo(socket, { action: "auth", key: key.keyId, secret: key.secretKey })
      assert.deepStrictEqual(answer, { stream: "authorization", data: { action: "authenticate", status: "authorized" } })
      socket.close()
    } finally {
      await served.stop()
    }
  })
})
