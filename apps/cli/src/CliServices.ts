/**
 * The platform services `effect/cli` requires of every command (its `Command.Environment`), for `pnpm pipeline`.
 *
 * **Why not `NodeServices.layer`**: it loads all of `@effect/platform-node` at start (29 modules, ~25 ms of every
 * command, `--help` included), while no command of this CLI reads stdin, spawns a process or prompts. Here the
 * file system, path and terminal are Node's, loaded at start as before (the CLI's own code loads `node:fs`
 * anyway); standard I/O and the process spawner are the same Node implementations, loaded the first time
 * something uses them.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import type * as Path from "effect/Path"
import * as Sink from "effect/Sink"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"

/** Node's standard I/O service, loaded on first use. */
const nodeStdio = Effect.cached(
  Effect.flatMap(Effect.promise(() => import("@effect/platform-node/NodeStdio")), (m) => Effect.provide(Effect.service(Stdio.Stdio), m.layer))
)

const lazyStdio = Effect.map(nodeStdio, (load) =>
  Stdio.make({
    args: Effect.sync(() => process.argv.slice(2)),
    stdinIsTerminal: Effect.sync(() => process.stdin.isTTY === true),
    stdoutIsTerminal: Effect.sync(() => process.stdout.isTTY === true),
    stderrIsTerminal: Effect.sync(() => process.stderr.isTTY === true),
    stdout: (options) => Sink.unwrap(Effect.map(load, (stdio) => stdio.stdout(options))),
    stderr: (options) => Sink.unwrap(Effect.map(load, (stdio) => stdio.stderr(options))),
    stdin: Stream.unwrap(Effect.map(load, (stdio) => stdio.stdin))
  }))

/** Node's process spawner (which needs the file system and path), loaded on first use. */
const lazySpawner = Effect.gen(function*() {
  const context = yield* Effect.context<FileSystem.FileSystem | Path.Path>()
  const load = yield* Effect.cached(
    Effect.flatMap(
      Effect.promise(() => import("@effect/platform-node/NodeChildProcessSpawner")),
      (m) => Effect.provide(Effect.service(ChildProcessSpawner.ChildProcessSpawner), m.layer.pipe(Layer.provide(Layer.succeedContext(context))))
    )
  )
  return ChildProcessSpawner.make((command) => Effect.flatMap(load, (spawner) => spawner.spawn(command)))
})

export const layer = Layer.mergeAll(
  Layer.effect(Stdio.Stdio, lazyStdio),
  Layer.effect(ChildProcessSpawner.ChildProcessSpawner, lazySpawner)
).pipe(Layer.provideMerge(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)))
