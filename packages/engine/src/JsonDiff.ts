/**
 * A readable, path-based difference between two JSON values, for replay reports.
 *
 * @since 0.1.0
 */

export interface Difference {
  readonly path: string
  readonly expected: unknown
  readonly actual: unknown
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * Whether two leaves are the same JSON: −0 is 0 (JSON writes both `0`, so a stored output read back has 0 where
 * the stage, run again, computes −0: `Number((-0.001).toFixed(2))`); NaN is itself.
 */
const sameLeaf = (a: unknown, b: unknown): boolean => a === b || Object.is(a, b)

/**
 * Every leaf where `actual` differs from `expected` as JSON (−0 and 0 are one value), in document order; at most
 * `limit` of them.
 */
export const diff = (expected: unknown, actual: unknown, limit = 20): ReadonlyArray<Difference> => {
  const out: Array<Difference> = []
  const walk = (path: string, a: unknown, b: unknown): void => {
    if (out.length >= limit) return
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length)
      for (let i = 0; i < n; i++) walk(`${path}[${i}]`, a[i], b[i])
      return
    }
    if (isRecord(a) && isRecord(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      for (const k of keys) walk(path === "" ? k : `${path}.${k}`, a[k], b[k])
      return
    }
    if (!sameLeaf(a, b)) out.push({ path: path === "" ? "(root)" : path, expected: a, actual: b })
  }
  walk("", expected, actual)
  return out
}

const show = (value: unknown): string => (value === undefined ? "(absent)" : JSON.stringify(value))

/** One line per difference: `path: expected → actual`. */
export const format = (differences: ReadonlyArray<Difference>): ReadonlyArray<string> =>
  differences.map((d) => `${d.path}: ${show(d.expected)} → ${show(d.actual)}`)
