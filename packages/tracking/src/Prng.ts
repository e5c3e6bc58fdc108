/**
 * A small seeded pseudo-random generator, so that bootstrap intervals and random baselines are reproducible.
 *
 * **When to use**: `make(seed)` wherever a result must be the same for the same seed (never `Math.random`).
 * `uniform` gives doubles in [0, 1), `int(n)` integers in [0, n), `normal()` standard normal draws.
 *
 * **Details**: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand to
 * large sizes), its state filled from the seed by splitmix32; string seeds are hashed first (FNV-1a). Doubles
 * carry 32 random bits, plenty for resampling indices.
 *
 * @since 0.1.0
 */

export interface Prng {
  /** A double in [0, 1). */
  readonly uniform: () => number
  /** An integer in [0, n). */
  readonly int: (n: number) => number
  /** A standard normal draw (Box–Muller). */
  readonly normal: () => number
}

const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

const splitmix32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

export const make = (seed: number | string): Prng => {
  const init = splitmix32(typeof seed === "string" ? fnv1a(seed) : Math.floor(seed))
  // int32 state: V8 keeps small integers unboxed, where uint32 values above 2^31 would be heap numbers.
  let a = init() | 0
  let b = init() | 0
  let c = init() | 0
  let d = init() | 0
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 12; i++) next()
  const uniform = () => next() / 4294967296
  return {
    uniform,
    int: (n) => Math.floor(uniform() * n),
    normal: () => {
      const u = 1 - uniform()
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform())
    }
  }
}
