/**
 * A cache of module resolutions for the CLI's process. A run resolves ~1,800 imports of ~330 modules, each a file-system walk (stat, realpath,
 * package.json scope) of 0.1–0.3 ms, and effect's modules import each other over and over. A relative specifier
 * resolves to the same file whoever imports it, so it is keyed by the file it names; a bare one (`effect/Effect`) by
 * the importer's directory, where the lookup starts; both with the conditions and the import's `type`.
 *
 * Imported for its effect, first thing (after the compile cache) by `bin.ts`, and by the benchmark's effect/cli floor.
 */
import { registerHooks } from "node:module"

type Resolved = { readonly url: string; readonly format?: string | null | undefined; readonly shortCircuit: true }
const resolved = new Map<string, Resolved>()
registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL
    if (parent === undefined || specifier.startsWith("node:")) return nextResolve(specifier, context)
    // a relative specifier names a file whatever imports it; a bare one is looked up from the importer's directory
    const target = specifier.startsWith("./") || specifier.startsWith("../") ? new URL(specifier, parent).href : undefined
    // a require() (of a CommonJS package, e.g. the OpenTelemetry SDK) comes without import attributes
    const key = `${target ?? `${parent.slice(0, parent.lastIndexOf("/"))}\0${specifier}`}\0${context.conditions?.join(",") ?? ""}\0${context.importAttributes?.["type"] ?? ""}`
    const known = resolved.get(key)
    if (known !== undefined) return known
    const { format, url } = nextResolve(specifier, context)
    const result: Resolved = { url, format, shortCircuit: true }
    resolved.set(key, result)
    return result
  }
})
