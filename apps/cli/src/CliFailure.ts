import * as Schema from "effect/Schema"

/**
 * A command that ends with a message and an exit code: 2 for usage and configuration errors (nothing was done),
 * 1 when the work itself failed, 130 when Ctrl-C (or SIGTERM) stopped it part-way.
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Literals([1, 2, 130])
}) {
  static usage(message: string) {
    return new CliFailure({ message, exitCode: 2 })
  }
  static failed(message: string) {
    return new CliFailure({ message, exitCode: 1 })
  }
  static interrupted(message: string) {
    return new CliFailure({ message, exitCode: 130 })
  }
}
