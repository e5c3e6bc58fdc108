#!/usr/bin/env node
// `pnpm pipeline …`. Node's compile cache goes on first (modules loaded before it is on are not cached), then the
// resolution cache (ResolveCache.ts), then the CLI loads. NODE_DISABLE_COMPILE_CACHE=1 turns the cache off;
// NODE_COMPILE_CACHE=<dir> moves it.
//
// Commands that only read the store keep V8's young generation at its first size: while effect's modules load, V8
// grows it to 16 MB, most of a read's peak memory (`runs`: 125 → 110 MB) for no time gained. The others keep V8's
// default: a run allocates enough that a small young generation costs it ~10 % CPU, `--help` ~4 %.
import { enableCompileCache } from "node:module"
import { setFlagsFromString } from "node:v8"

const READS = new Set(["runs", "show", "export", "import"])
const [command] = process.argv.slice(2)
if (command !== undefined && READS.has(command)) setFlagsFromString("--semi-space-growth-factor=1")

enableCompileCache()
await import("./ResolveCache.ts")
await import("./Main.ts")
