/**
 * Summaries every benchmark prints: min / median / max over the repetitions, and paired ratios (each repetition's
 * measurement over the floor measured right beside it, so machine noise hits both sides of a ratio alike).
 */

export interface Summary {
  readonly min: number
  readonly median: number
  readonly max: number
  readonly n: number
}

export const summarize = (xs: ReadonlyArray<number>): Summary => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length / 2
  const median = s.length === 0 ? NaN : s.length % 2 === 1 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2
  return { min: s[0] ?? NaN, median, max: s[s.length - 1] ?? NaN, n: s.length }
}

/** `min 1.2 · median 1.3 · max 1.9 unit` */
export const show = (xs: ReadonlyArray<number>, unit: string, digits = 0): string => {
  const { max, median, min } = summarize(xs)
  const f = (x: number) => x.toFixed(digits)
  return `min ${f(min)} · median ${f(median)} · max ${f(max)}${unit === "" ? "" : ` ${unit}`}`
}

/** Each repetition's `a / b`. */
export const ratios = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): ReadonlyArray<number> =>
  a.map((x, i) => x / b[i]!)

/** `(target ≤ 1.5 ms: met)` for a median against its target. */
export const against = (value: number, target: number, direction: "≤" | "≥", unit = ""): string => {
  const met = direction === "≤" ? value <= target : value >= target
  return `(target ${direction} ${target}${unit === "" ? "" : ` ${unit}`}: ${met ? "met" : "NOT met"})`
}

export const line = (label: string, text: string) => console.log(`  ${label.padEnd(34)} ${text}`)
