/**
 * The README's generator ("How sure": FNV-1a over UTF-16 code units → splitmix32's first four outputs → sfc32, which
 * discards 12 draws; a draw is sfc32's next output / 2³²), written from the README's words alone for the tests that
 * follow its recipes as a reader would. Nothing here imports the product's `Prng`.
 */
const u32 = (x: number) => x >>> 0
const mul32 = (a: number, b: number) => u32(Number((BigInt(a) * BigInt(b)) & 0xffffffffn))

/** The README's draws u ∈ [0, 1) for the seed text `seed`. */
export const readmeGenerator = (seed: string): () => number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) hash = mul32(u32(hash ^ seed.charCodeAt(i)), 0x01000193)
  let sm = hash
  const splitmix = () => {
    sm = u32(sm + 0x9e3779b9)
    let z = sm
    z = mul32(u32(z ^ (z >>> 16)), 0x85ebca6b)
    z = mul32(u32(z ^ (z >>> 13)), 0xc2b2ae35)
    return u32(z ^ (z >>> 16))
  }
  let [a, b, c, d] = [splitmix(), splitmix(), splitmix(), splitmix()]
  const next = () => {
    const t = u32(a + b + d)
    a = u32(b ^ (b >>> 9))
    b = u32(c + c * 8)
    c = u32(u32(c * 2 ** 21) + (c >>> 11) + t)
    d = u32(d + 1)
    return t
  }
  for (let i = 0; i < 12; i++) next()
  return () => next() / 2 ** 32
}
