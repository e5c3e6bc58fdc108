// Rewrites `import { Effect, type Scope } from "effect"` (and the `effect/http`, `effect/sql`, `effect/cli` … indexes)
// into one import per module — `import * as Effect from "effect/Effect"` — in the given source directories.
// Why: an index loads every module of the library (the `effect` index alone ~145 modules, ~10 MB and tens of
// milliseconds at every start); a module path loads only what the module needs. The start-up test
// (`apps/cli/test/Startup.test.ts`) fails on an index import under `src/`; run this to fix them:
//
//   node scripts/effect-deep-imports.ts packages/*/src pipelines/*/src apps/*/src
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"

// any workspace package that depends on effect gives the same copy (one version in the catalog)
const effectDist = new URL("../packages/domain/node_modules/effect/dist/", import.meta.url).pathname

/** `import { … } from "effect"` or `"effect/<index>"`, possibly `import type`, possibly over several lines. */
const INDEX_IMPORT = /^import (type )?\{([^}]*)\} from "effect(?:\/(\w[\w-]*))?"\n/gm

const rewrite = (text: string, file: string): string =>
  text.replace(INDEX_IMPORT, (whole, typeOnly: string | undefined, names: string, index: string | undefined) => {
    const dir = index === undefined ? "" : `${index}/`
    const lines: Array<string> = []
    for (const raw of names.split(",").map((n) => n.trim()).filter((n) => n !== "")) {
      const isType = typeOnly !== undefined || raw.startsWith("type ")
      const [name, alias] = raw.replace(/^type /, "").split(/\s+as\s+/)
      if (!existsSync(join(effectDist, `${dir}${name}.js`))) {
        console.error(`${file}: effect${index === undefined ? "" : `/${index}`} has no module ${name}; import left as is`)
        return whole
      }
      lines.push(`import ${isType ? "type " : ""}* as ${alias ?? name} from "effect/${dir}${name}"`)
    }
    return lines.map((l) => `${l}\n`).join("")
  })

const walk = (path: string): ReadonlyArray<string> =>
  statSync(path).isDirectory()
    ? readdirSync(path).flatMap((entry) => walk(join(path, entry)))
    : path.endsWith(".ts") ? [path] : []

let changed = 0
for (const root of process.argv.slice(2)) {
  for (const file of walk(root)) {
    const before = readFileSync(file, "utf8")
    const after = rewrite(before, file)
    if (after !== before) {
      writeFileSync(file, after)
      changed++
    }
  }
}
console.log(`${changed} files rewritten`)
