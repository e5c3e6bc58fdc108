/**
 * UTF-8 bytes as a delta of other bytes: literal bytes and copies of the base's ranges. The store keeps a large
 * text that mostly repeats its slot's previous one (a market snapshot whose window slid by one session) as such a
 * delta, zstd-compressed alone: finding the delta and compressing its few literals costs a fraction of loading a
 * 200 KB text as a zstd dictionary, for the same size.
 *
 * **Details**: `diff` walks both at once. A common run is measured with native compares (galloping, then byte by
 * byte); where the two part, a 24-byte probe of each is looked for a little ahead in the other (256 bytes, then
 * 4 KB, the far window searched only at a substitution's first step and every 16th after): the target skipped base
 * bytes, or inserted its own; found neither, both step 16 bytes (a substitution).
 * Linear in the length when the texts differ in short places; gives up (`undefined`) once its literals pass the
 * caller's budget. An encoded delta is records of `literal length, literal bytes, copy start, copy length`
 * (varints; a copy's start as the zigzag of its distance from the previous copy's end: small for a slid window).
 *
 * **Gotchas**: offsets are bytes, so a delta applies to the base's UTF-8 bytes, not to its JavaScript string
 * (`TextDelta`, which 0008 wrote, is the string one).
 *
 * @since 0.1.0
 */

/** Bytes probed where the texts part, to find where they meet again. */
const PROBE = 24
/** How far ahead a probe is looked for: near first (most edits are short), then further. */
const WINDOWS = [256, 4096] as const
const NEAR = [256] as const
/**
 * Inside a run of substitutions (both probes found nowhere) only the near window is searched, and the far one again
 * every this many steps: a rewritten bar of a snapshot is several steps of which none meets its text again 4 KB
 * ahead, and those far searches were most of a snapshot's delta.
 */
const FAR_EVERY = 16
/** What both skip when neither probe is found: a substitution. */
const STEP = 16
/** A shorter common run is not worth a copy. */
const MIN_RUN = 8

/** The length of the common run of `a` from `i` and `b` from `j`. */
const commonRun = (a: Uint8Array, i: number, b: Uint8Array, j: number): number => {
  const max = Math.min(a.length - i, b.length - j)
  let n = 0
  let take = 256
  while (max - n >= 16) {
    take = Math.min(take, max - n)
    if (Buffer.compare(a.subarray(i + n, i + n + take), b.subarray(j + n, j + n + take)) === 0) {
      n += take
      take *= 2
    } else if (take > 16) {
      take >>= 2
    } else {
      break
    }
  }
  while (n < max && a[i + n] === b[j + n]) n++
  return n
}

/** Where `needle` starts in `haystack` from `from` within `window` bytes; -1 when it does not. */
const findAhead = (haystack: Uint8Array, from: number, needle: Uint8Array, window: number): number => {
  if (from >= haystack.length) return -1
  const at = Buffer.from(haystack.buffer, haystack.byteOffset + from, Math.min(haystack.length - from, window)).indexOf(needle)
  return at < 0 ? -1 : from + at
}

/**
 * `target` as copies of `source` and literals, encoded; `undefined` once the literals pass `budget` bytes (the
 * texts differ too much for a delta to pay).
 */
export const diff = (source: Uint8Array, target: Uint8Array, budget: number): Buffer | undefined => {
  const out = new Encoder(target)
  let i = 0
  let j = 0
  let literal = 0
  let literalBytes = 0
  /** Substitution steps since the last copy: the far window is searched on the first, then every `FAR_EVERY`th. */
  let steps = 0
  while (i < target.length) {
    const run = commonRun(target, i, source, j)
    if (run >= MIN_RUN || (run > 0 && i + run === target.length)) {
      out.record(literal, i, j, run)
      i += run
      j += run
      literal = i
      steps = 0
      continue
    }
    const targetProbe = i + PROBE <= target.length ? target.subarray(i, i + PROBE) : undefined
    const sourceProbe = j + PROBE <= source.length ? source.subarray(j, j + PROBE) : undefined
    let skipped = -1
    let inserted = -1
    for (const window of steps % FAR_EVERY === 0 ? WINDOWS : NEAR) {
      skipped = targetProbe === undefined ? -1 : findAhead(source, j, targetProbe, window)
      inserted = sourceProbe === undefined ? -1 : findAhead(target, i, sourceProbe, window)
      if (skipped >= 0 || inserted >= 0) break
    }
    if (skipped >= 0 && (inserted < 0 || skipped - j <= inserted - i)) {
      j = skipped
      continue
    }
    const next = inserted >= 0 ? inserted : Math.min(target.length, i + STEP)
    if (inserted < 0) {
      j = Math.min(source.length, j + next - i)
      steps++
    }
    literalBytes += next - i
    i = next
    if (literalBytes > budget) return undefined
  }
  if (literal < target.length) out.record(literal, target.length, 0, 0)
  return out.done()
}

/** The bytes `delta` describes against `source`; `undefined` for a malformed delta. */
export const apply = (source: Uint8Array, delta: Uint8Array): Buffer | undefined => {
  const parts: Array<Uint8Array> = []
  let at = 0
  let end = 0
  const read = (): number => {
    let n = 0
    let scale = 1
    while (at < delta.length) {
      const byte = delta[at++]!
      n += (byte & 0x7f) * scale
      if (byte < 0x80) return n
      scale *= 128
    }
    return -1
  }
  while (at < delta.length) {
    const literal = read()
    if (literal < 0 || at + literal > delta.length) return undefined
    parts.push(delta.subarray(at, at + literal))
    at += literal
    const shift = read()
    const length = read()
    if (shift < 0 || length < 0) return undefined
    const from = end + (shift % 2 === 0 ? shift / 2 : -(shift + 1) / 2)
    if (from < 0 || from + length > source.length) return undefined
    parts.push(source.subarray(from, from + length))
    end = from + length
  }
  return Buffer.concat(parts)
}

/** Writes the records of a delta of `target`. */
class Encoder {
  private readonly parts: Array<Uint8Array> = []
  private head: Array<number> = []
  private end = 0
  private readonly target: Uint8Array
  constructor(target: Uint8Array) {
    this.target = target
  }
  /** The literal `target[literalStart, literalEnd)`, then `length` bytes of the source from `from`. */
  record(literalStart: number, literalEnd: number, from: number, length: number) {
    this.varint(literalEnd - literalStart)
    if (literalEnd > literalStart) {
      this.parts.push(Buffer.from(this.head), this.target.subarray(literalStart, literalEnd))
      this.head = []
    }
    const shift = from - this.end
    this.varint(shift >= 0 ? shift * 2 : -shift * 2 - 1)
    this.varint(length)
    this.end = from + length
  }
  done(): Buffer {
    this.parts.push(Buffer.from(this.head))
    return Buffer.concat(this.parts)
  }
  private varint(n: number) {
    while (n >= 0x80) {
      this.head.push((n & 0x7f) | 0x80)
      n = Math.floor(n / 128)
    }
    this.head.push(n)
  }
}
