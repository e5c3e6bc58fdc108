/**
 * The CLI's log lines on stderr: `WARN alpaca GROQ: GET /v2/orders: 503 …` — the level, then the message, as the
 * CLI's other stderr lines read. Effect's default logger starts each line with its own local clock time and the
 * fiber's number (`[03:41:12.240] WARN (#7):`); beside `StderrLines`' UTC stamp a cron log then held two times a line,
 * one of them in the machine's zone, and a number no operator can use.
 *
 * **When to use**: `Program.run` provides `layer` to every command. A log span is kept (`label=12ms`), annotations
 * follow as `key=value`, a cause follows on its own lines. `Logger.tracerLogger` stays: logs still reach the current
 * span when tracing exports.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Logger from "effect/Logger"
import * as References from "effect/References"

/** Each log line to the fiber's console (its `error`: stderr, where `StderrLines` stamps it). */
export const stderrLogger = Logger.make<unknown, void>(({ cause, date, fiber, logLevel, message }) => {
  const parts: Array<unknown> = Array.isArray(message) ? message.slice() : [message]
  let head = logLevel.toUpperCase()
  for (const [label, start] of fiber.getRef(References.CurrentLogSpans)) head += ` ${label}=${date.getTime() - start}ms`
  for (const [key, value] of Object.entries(fiber.getRef(References.CurrentLogAnnotations))) {
    parts.push(`${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
  }
  if (cause.reasons.length > 0) parts.push(`\n${Cause.pretty(cause)}`)
  fiber.getRef(Console.Console).error(head, ...parts)
})

/** The CLI's loggers: `stderrLogger`, and the tracer's (a log as an event of the current span). */
export const layer = Logger.layer([stderrLogger, Logger.tracerLogger])
