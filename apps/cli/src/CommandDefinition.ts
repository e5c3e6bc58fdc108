/**
 * What every command definition shares: loading its implementation only when it runs, and its help text.
 *
 * Kept tiny on purpose: `Cli.ts` and the command groups import it for `--help`, which must not load the trading
 * stack.
 */
import * as Command from "effect/cli/Command"
import * as Effect from "effect/Effect"

/** Loads `module` when the command runs, then runs `f` with it. */
export const using = <M, A, E, R>(module: () => Promise<M>, f: (loaded: M) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.promise(module), f)

/**
 * A command's help: `text` and its exit codes on the command's own `--help`; `text` alone in the list of
 * subcommands.
 */
export const describe = (text: string, exitCodes: string) =>
<const Name extends string, Input, E, R, ContextInput>(self: Command.Command<Name, Input, ContextInput, E, R>) =>
  self.pipe(Command.withDescription(`${text}\n  ${exitCodes}`), Command.withShortDescription(text))
