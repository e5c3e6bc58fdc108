#!/usr/bin/env node
// `pnpm pipeline …`. The process is tuned for the command first (ProcessTuning.ts: compile cache, young generation),
// then the resolution cache (ResolveCache.ts) goes on, then the CLI loads.
import { tuneProcess } from "./ProcessTuning.ts"

tuneProcess(process.argv[2])
await import("./ResolveCache.ts")
await import("./Main.ts")
