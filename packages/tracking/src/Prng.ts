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
  /**
   * The generator's state (four int32 words), which `uniform` and `int` step: a hot loop draws the very same
   * numbers with `uniformOf(prng.state)` and `intOf(prng.state, n)`, plain functions the compiler inlines where a
   * call through the object would not be.
   */
  readonly state: Int32Array
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

/** One step of sfc32 over `state` (int32 words: V8 keeps them unboxed, where uint32 above 2^31 would not be). */
const next = (state: Int32Array): number => {
  const a = state[0]!
  const b = state[1]!
  const c = state[2]!
  const d = state[3]!
  const t = (((a + b) | 0) + d) | 0
  state[0] = b ^ (b >>> 9)
  state[1] = (c + (c << 3)) | 0
  state[2] = (((c << 21) | (c >>> 11)) + t) | 0
  state[3] = (d + 1) | 0
  return t >>> 0
}

/** A double in [0, 1) from `state` (a `Prng`'s): the same draw as its `uniform`. */
export const uniformOf = (state: Int32Array): number => next(state) / 4294967296

/** An integer in [0, n) from `state` (a `Prng`'s): the same draw as its `int`. */
export const intOf = (state: Int32Array, n: number): number => Math.floor(uniformOf(state) * n)

export const make = (seed: number | string): Prng => {
  const init = splitmix32(typeof seed === "string" ? fnv1a(seed) : Math.floor(seed))
  const state = Int32Array.of(init() | 0, init() | 0, init() | 0, init() | 0)
  for (let i = 0; i < 12; i++) next(state)
  const uniform = () => uniformOf(state)
  return {
    uniform,
    int: (n) => intOf(state, n),
    normal: () => {
      const u = 1 - uniform()
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform())
    },
    state
  }
}
