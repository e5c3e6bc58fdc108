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

/** A connection to the stream at `url`, open. */
const connect = async (url: string) => {
  const socket = new WebSocket(url)
  socket.binaryType = "arraybuffer"
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true })
    socket.addEventListener("error", reject, { once: true })
  })
  return socket
}

describe("exchange serve's banner", () => {
  it("names the trade-updates stream's URL, and a bot authorizes there with the keys `exchange keys` prints; no secret sent there is echoed or printed", async () => {
    const served = await serveExchange(tempHome())
    try {
      const streamUrl = /trade updates \(Alpaca's websocket stream\): (ws:\/\/\S+)/.exec(served.banner)?.[1]
      assert.strictEqual(streamUrl, `${served.url.replace("http://", "ws://")}/stream`)
      const socket = await connect(streamUrl!)
      const key = served.keys[0]!
      const answer = await answerTo(socket, { action: "auth", key: key.keyId, secret: key.secretKey })
      assert.deepStrictEqual(answer, { stream: "authorization", data: { action: "authenticate", status: "authorized" } })
      socket.close()

      // a wrong secret (another account's) is refused without being repeated; so is a message that is not JSON
      const wrong = await connect(streamUrl!)
      const other = served.keys[1]!.secretKey
      const refused = await answerTo(wrong, { action: "auth", key: key.keyId, secret: other })
      assert.deepStrictEqual(refused, { stream: "authorization", data: { action: "authenticate", status: "unauthorized" } })
      const garbled = await connect(streamUrl!)
      const garbledAnswer = await new Promise<string>((resolve) => {
        garbled.addEventListener("message", (event) => resolve(new TextDecoder().decode(event.data as ArrayBuffer)), { once: true })
        garbled.send(`{"action":"auth","key":"${key.keyId}","secret":"${key.secretKey}"`)
      })
      assert.notInclude(garbledAnswer, key.secretKey)
      garbled.close()
    } finally {
      await served.stop()
    }
    for (const { secretKey } of served.keys) assert.notInclude(served.output(), secretKey)
  })
})
