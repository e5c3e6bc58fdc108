#!/bin/sh
# `pnpm pipeline …`: the CLI with Node's compile cache on from the first module (the entry's type stripping
# included), kept in $TMPDIR/council-compile-cache-<uid> and used only while that directory is this user's alone —
# a directory, not a link, owned by this user, writable by nobody else — as ProcessTuning.ts does for a direct
# `node apps/cli/src/bin.ts`. Node's default $TMPDIR/node-compile-cache is shared: in a shared /tmp another user
# could make it first and plant a code cache for one of the CLI's modules, which the CLI would then run.
# NODE_COMPILE_CACHE, when set, is used as it is.
if [ -z "${NODE_COMPILE_CACHE:-}" ]; then
  dir="${TMPDIR:-/tmp}/council-compile-cache-$(id -u)"
  mkdir -m 700 "$dir" 2>/dev/null
  if [ -d "$dir" ] && [ ! -L "$dir" ] && [ -O "$dir" ] && [ -z "$(find "$dir" -prune \( -perm -g+w -o -perm -o+w \) -print)" ]; then
    export NODE_COMPILE_CACHE="$dir"
  fi
fi
# The repo's node itself, not node_modules/.bin/node: that is a shell script that runs node as its child and waits,
# so a signal sent to the process `pnpm pipeline` shows as `node apps/cli/src/bin.ts …` (found with `pgrep -f`,
# `pkill -INT -f`) reached the shell, not the CLI — the command ran on to its end, then exited as signalled.
# With exec the CLI is that process: a SIGINT/SIGTERM to it stops the command at once (a backtest as interrupted).
node="node_modules/node/bin/node"
[ -x "$node" ] || node=node
exec "$node" apps/cli/src/bin.ts "$@"
