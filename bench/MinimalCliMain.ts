// See MinimalCli.ts. Over the same platform services as the CLI (CliServices: standard I/O and the process spawner
// loaded on first use), so the floor is what the CLI's own entry could reach.
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as CliServices from "../apps/cli/src/CliServices.ts"

const run = Command.make("run", { date: Flag.String("date").pipe(Flag.optional) }, () => Effect.void)
const root = Command.make("minimal").pipe(Command.withSubcommands([run]))

await Effect.runPromise(Command.runWith(root, { version: "0" })(process.argv.slice(2)).pipe(Effect.provide(CliServices.layer)))
