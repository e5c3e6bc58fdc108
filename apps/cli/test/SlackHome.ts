import { afterAll } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { slackStandIn } from "./SlackStandIn.ts"

interface Closable {
  readonly close: () => Promise<void>
}

/**
 * Homes whose runs tell a Slack stand-in (`slackStandIn`), for one test file: call it in a `describe`. `home()` gives
 * a fresh home, the stand-in and the env that points the CLI at it; `receiver()` the stand-in and its env alone (a
 * test that makes its homes itself). Every stand-in, and every server given to `closeAfter`, is closed after the
 * file's tests.
 */
export const slackHomes = () => {
  const open: Array<Closable> = []
  afterAll(async () => {
    for (const server of open) await server.close()
  })
  const closeAfter = <A extends Closable>(server: A): A => {
    open.push(server)
    return server
  }
  const receiver = async (status?: number, body?: string) => {
    const slack = closeAfter(await slackStandIn(status, body))
    return { slack, env: { SLACK_WEBHOOK_URL: slack.url } }
  }
  const home = async () => ({ ...(await receiver()), home: tempHome() })
  return { home, receiver, closeAfter }
}
