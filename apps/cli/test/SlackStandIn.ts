import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"

/**
 * A Slack incoming webhook on 127.0.0.1: answers every request with `status` and `body` and keeps each message's text.
 * Its URL ends in `notARealSecret42` (a webhook URL is a secret: tests check it is never shown).
 */
export const slackStandIn = async (status = 200, body = "ok") => {
  const texts: Array<string> = []
  const server: Server = testServer((req, res) => {
    let data = ""
    req.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")))
    req.on("end", () => {
      texts.push((JSON.parse(data) as { text: string }).text)
      res.writeHead(status, { "content-type": "text/plain" })
      res.end(body)
    })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0TEST/B0TEST/notARealSecret42`
  return { url, texts, close: () => new Promise<void>((done) => server.close(() => done())) }
}
