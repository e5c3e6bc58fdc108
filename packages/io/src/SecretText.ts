/**
 * Secrets out of text: `scrub` replaces a key in a text from outside (an error body, a message, a proxy's page) whole
 * and by its pieces, since a server echoing a key often cuts it short. The one scrubber of every adapter that sends
 * a key (the LLM providers, the broker, the market-data feeds). Imported as `@council/io/SecretText`.
 *
 * @since 0.1.0
 */

/**
 * The longest piece of a key that must count as the key: a provider echoing this many of its characters in a row
 * (a key cut short, a prefix, a tail) gives most of it away.
 */
export const KEY_FRAGMENT = 12

/**
 * The shortest piece of `secret` that counts as `secret`: half of it (a piece leaving no more than half unknown
 * gives it away: the rest of a 10-character key is 5 characters to guess), at least 4 characters (a shorter piece
 * cannot be told from ordinary text) and at most `KEY_FRAGMENT`.
 */
export const fragmentLength = (secret: string): number => Math.min(KEY_FRAGMENT, Math.max(4, Math.ceil(secret.length / 2)))

/** A polynomial hash of `text[from, from + n)`, 32 bits. */
const windowHash = (text: string, from: number, n: number): number => {
  let h = 0
  for (let k = from; k < from + n; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0
  return h
}

/**
 * Every run of `secret`'s characters in `text` that holds `n` of them in a row as `secret` has them. Windows are
 * compared by a rolling hash first, so a 16 MB answer is scanned in one pass.
 */
const fragmentRuns = (text: string, secret: string, n: number): Array<readonly [number, number]> => {
  // 31^(n - 1) mod 2³², to roll a window's hash one character on
  const lead = Array.from({ length: n - 1 }).reduce<number>((p) => Math.imul(p, 31), 1)
  const inSecret = new Uint8Array(65536)
  for (let k = 0; k < secret.length; k++) inSecret[secret.charCodeAt(k)] = 1
  const windows = new Map<number, Array<string>>()
  for (let i = 0; i + n <= secret.length; i++) {
    const h = windowHash(secret, i, n)
    windows.set(h, [...(windows.get(h) ?? []), secret.slice(i, i + n)])
  }
  const runs: Array<readonly [number, number]> = []
  let i = 0
  while (i < text.length) {
    if (inSecret[text.charCodeAt(i)] === 0) {
      i++
      continue
    }
    let end = i
    while (end < text.length && inSecret[text.charCodeAt(end)] === 1) end++
    if (end - i >= n) {
      let h = windowHash(text, i, n)
      for (let j = i; j + n <= end; j++) {
        if (j > i) h = (Math.imul(h - Math.imul(text.charCodeAt(j - 1), lead), 31) + text.charCodeAt(j + n - 1)) | 0
        if (windows.get(h)?.includes(text.slice(j, j + n)) === true) {
          runs.push([i, end])
          break
        }
      }
    }
    i = end
  }
  return runs
}

/**
 * Replaces every occurrence of `secret` in `text`, and every run of its characters holding `shortest` or more of
 * them in a row (a provider echoing a key back, whole or cut, must not get it stored or logged). `shortest` is
 * `fragmentLength(secret)` unless given: 12 for a key of 23 characters or more, half of a shorter one (a
 * 10-character key's 5), never fewer than 4.
 *
 * **Gotchas**
 * - A "key" of fewer than 4 characters is left in the text: it cannot be told from ordinary text (every `a` of a
 *   message would go for a key `a`), and it hides nothing (three characters are guessed outright).
 * - A short key's short pieces are ordinary text too (`sk-1234`'s `1234` is in `51234` tokens): an answer about to
 *   be decoded is scrubbed with `KEY_FRAGMENT` (`scrubAnswer`), so its JSON and numbers stay as the provider sent them.
 */
export const scrub = (text: string, secret: string, shortest: number = fragmentLength(secret)): string => {
  if (secret.length < 4) return text
  const whole = text.split(secret).join("[REDACTED]")
  if (secret.length <= shortest) return whole
  const runs = fragmentRuns(whole, secret, shortest)
  if (runs.length === 0) return whole
  let out = ""
  let last = 0
  for (const [start, end] of runs) {
    out += `${whole.slice(last, start)}[REDACTED]`
    last = end
  }
  return out + whole.slice(last)
}

