/**
 * A schema issue as a sentence says it, for the one line a user reads when a configuration value is refused:
 * `Expected "PAPER" | "LIVE"` is `expected PAPER or LIVE`, `Expected number` is `expected a number`. Use it on the
 * first line of a `SchemaError`'s message with its `, got …` already cut (the value may be a secret); a line it does
 * not know keeps its text, lower-cased at the start.
 *
 * @since 0.1.0
 */

/** `a, b or c`. */
export const choiceList = (values: ReadonlyArray<string>): string =>
  values.length <= 1 ? values.join("") : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`

/** What an unknown field is called: `keyID: not a field Council reads`. */
export const NOT_A_FIELD = "not a field Council reads"

/** `issue` (a schema's `Expected …` / `Missing key`) in words. */
export const issueInWords = (issue: string): string => {
  if (issue === "Expected no excess property") return NOT_A_FIELD
  if (issue === "Missing key") return "missing"
  if (issue === "Expected a valid JSON string") return "not valid JSON"
  const literals = /^Expected ("[^"]*"(?: \| "[^"]*")*)$/.exec(issue)?.[1]?.split(" | ").map((l) => l.slice(1, -1))
  if (literals !== undefined) return `expected ${choiceList(literals)}`
  const type = /^Expected (string|number|boolean|array|object)$/.exec(issue)?.[1]
  if (type === "boolean") return "expected true or false"
  if (type !== undefined) return `expected ${type === "array" || type === "object" ? "an" : "a"} ${type}`
  return issue.replace(/^Expected /, "expected ")
}

/** Whether a refused value could be a credential pasted into the wrong variable: 20 or more letters and digits, no blank. */
const looksLikeKey = (raw: string): boolean => {
  const value = raw.trim()
  return value.length >= 20 && !/\s/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value)
}

/**
 * A refused configuration value as its one-line error quotes it: `"sometimes"`, cut at 40 characters — or, when it
 * could be a key pasted into the wrong variable, not at all (`a value of 40 characters, not shown: it looks like a
 * key`). Use it for variables and flags that hold no secret; a variable that does (keys, URLs, the accounts' JSON)
 * quotes nothing.
 */
export const quotedValue = (raw: string): string =>
  looksLikeKey(raw) ? `a value of ${raw.length} characters, not shown: it looks like a key` : JSON.stringify(raw.slice(0, 40))
