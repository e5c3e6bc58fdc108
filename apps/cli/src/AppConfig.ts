import { Config } from "effect"

/** Configuration the composition root reads once at start-up. Secrets never pass through here. */
export const AppConfig = Config.all({
  data: Config.Literals(["local", "alpaca", "polygon"], "COUNCIL_DATA").pipe(Config.withDefault("local" as const)),
  barsDirectory: Config.option(Config.String("COUNCIL_BARS_DIR"))
})

export const codeVersion = "0.1.0"
