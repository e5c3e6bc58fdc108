#!/usr/bin/env node
// `pnpm pipeline …`. The process is tuned for the command first (ProcessTuning.ts: compile cache, young generation),
// a signal from then on is said on stderr (EarlySignal.ts) until the CLI listens itself, then the resolution cache
// (ResolveCache.ts) goes on, then the CLI loads.
import { tuneProcess } from "./ProcessTuning.ts"

tuneProcess(process.argv[2])
const early = await import("./EarlySignal.ts")
early.listenEarly()
await import("./ResolveCache.ts")
await import("./Main.ts")
early.started()
