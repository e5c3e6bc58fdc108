// See MinimalCli.ts.
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"

const run = Command.make("run", { date: Flag.String("date").pipe(Flag.optional) }, () => Effect.void)
const root = Command.make("minimal").pipe(Command.withSubcommands([run]))

await Effect.runPromise(Command.runWith(root, { version: "0" })(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer)))
