#!/usr/bin/env node
// `pnpm pipeline …`. Node's compile cache goes on first (modules loaded before it is on are not cached), then the
// resolution cache (ResolveCache.ts), then the CLI loads. NODE_DISABLE_COMPILE_CACHE=1 turns the cache off;
// NODE_COMPILE_CACHE=<dir> moves it.
import { enableCompileCache } from "node:module"

enableCompileCache()
await import("./ResolveCache.ts")
await import("./Main.ts")
