/**
 * Whether a key can travel in an HTTP header as `fetch` sends it (`Authorization`, `x-api-key`, Alpaca's
 * `APCA-API-KEY-ID`). Imported as `@council/io/HeaderKey`.
 *
 * **When to use**: where a key is read from the configuration, so that a key `fetch` cannot send — the README's
 * placeholder `…` or a curly quote pasted in — is refused once, at start-up, naming its variable, rather than every
 * request failing with a `ByteString` error that reads as a network failure and is retried.
 *
 * **Gotchas**: `fetch` drops blanks (tab, CR, LF, space) at a value's ends and sends one inside as it is: neither is
 * refused. The message never repeats the key, only a character's position.
 *
 * @since 0.1.0
 */

/** The position (1-based) of the first character of `key` no header carries — not printable ASCII — if any. */
export const unsendableAt = (key: string): number | undefined => {
  const lead = /^[\t\n\r ]*/.exec(key)![0].length
  const at = key.slice(lead).replace(/[\t\n\r ]+$/, "").search(/[^\x20-\x7e]/)
  return at < 0 ? undefined : lead + at + 1
}

/** What is wrong with `key`, named `name` (a variable or a field), or `undefined` when a header can carry it. */
export const problem = (name: string, key: string): string | undefined => {
  const at = unsendableAt(key)
  return at === undefined
    ? undefined
    : `${name}: character ${at} is not printable ASCII, which no key holds (a placeholder such as "…" or a curly quote left in?): give the key as it was issued`
}
