// The floor of an effect/cli program, built like the CLI's entry: compile cache and resolution cache on, then a
// module defining one command with one flag and running it over the platform services the CLI gives effect/cli —
// what `pnpm pipeline --help` cannot go below while it uses effect/cli.
import { enableCompileCache } from "node:module"

enableCompileCache()
await import("../apps/cli/src/ResolveCache.ts")
await import("./MinimalCliMain.ts")
