/**
 * How deep JSON text nests, read without parsing it (iteratively: no stack to overflow).
 *
 * **When to use**: before JSON from outside (an LLM's answer, a bundle file) reaches code that walks it recursively
 * — `JSON.stringify`, `structuredClone`, a schema, a canonical hash — which overflows the stack somewhere past ten
 * thousand levels (`[[[[…]]]]`, two bytes a level) and fails as a `RangeError` far from where the text came in.
 *
 * **Gotcha**: it counts brackets outside strings and does not check the text is JSON; a malformed text is for
 * `JSON.parse` to refuse.
 *
 * @since 0.1.0
 */

/** Whether `text`, read as JSON, nests more than `limit` arrays and objects deep. */
export const nestsDeeperThan = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash: the next character is escaped
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}
