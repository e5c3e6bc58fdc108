/**
 * An HTML page said as a person would: an error answer from a proxy, a load balancer or a CDN (nginx's `502 Bad
 * Gateway`, Cloudflare's `522: Connection timed out`) comes as a web page, not the provider's JSON. `htmlPage` turns
 * such a body into its status and title (or first heading), never its markup. Imported as `@council/io/HtmlPage`.
 *
 * **When to use**: wherever an answer's text is quoted in a message (a broker's, a market-data feed's): call it
 * first, and quote the text only when it is not a page.
 *
 * **Gotchas**
 * - Scrub secrets from the text before (`@council/io/SecretText`): a page's title may echo what the proxy was sent.
 * - A page is told by its start (`<!doctype html`, a comment, `<html>`, `<body>`, or any tag), not by a
 *   `Content-Type` header: proxies label their pages as loosely as they write them.
 * - The title is cut to `TITLE_MAX` characters; without a title or heading, the status's usual phrase stands in.
 *
 * @since 0.1.0
 */
import { STATUS_CODES } from "node:http"

/** The most of a page's title a message quotes. */
export const TITLE_MAX = 80

const PAGE_START = /^\s*(?:<!doctype\s+html|<!--|<[a-z][a-z0-9]*(?:\s[^>]*)?\/?>)/i
const TITLE = /<title[^>]*>([\s\S]*?)<\/title\s*>/i
const HEADING = /<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]\s*>/i

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " ", ndash: "–", mdash: "—" }

/** Whether `text` is an HTML (or XML) page rather than JSON or plain words. */
export const isHtmlPage = (text: string): boolean => PAGE_START.test(text)

/** The text of a fragment of markup: tags dropped, entities decoded, white space on one line. */
const plainText = (markup: string): string =>
  markup
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
      const code = name.startsWith("#x") || name.startsWith("#X") ? Number.parseInt(name.slice(2), 16) : name.startsWith("#") ? Number(name.slice(1)) : undefined
      if (code !== undefined) return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : " "
      return ENTITIES[name.toLowerCase()] ?? whole
    })
    .replace(/[<>]/g, " ")
    .replace(/\s+/g, " ")
    .trim()

/** A page's title, else its first heading, as plain text (`undefined` when it has neither, or they are empty). */
export const pageTitle = (text: string): string | undefined => {
  for (const pattern of [TITLE, HEADING]) {
    const found = pattern.exec(text)?.[1]
    const plain = found === undefined ? "" : plainText(found)
    if (plain !== "") return plain.length > TITLE_MAX ? `${plain.slice(0, TITLE_MAX)}…` : plain
  }
  return undefined
}

/**
 * `status` and the page's title as a person would say them, `whose` (and `what`, `JSON` unless given) naming what
 * was expected instead: `502 Bad Gateway (an HTML page, not Alpaca's JSON)`; `undefined` when `text` is not a page.
 * A title that starts with the status is not prefixed with it again; a page without a title or heading is named by
 * the status's phrase.
 */
export const htmlPage = (status: number, text: string, whose: string, what = "JSON"): string | undefined => {
  if (!isHtmlPage(text)) return undefined
  const title = pageTitle(text)
  const said = title === undefined
    ? `${status}${STATUS_CODES[status] === undefined ? "" : ` ${STATUS_CODES[status]}`}`
    : new RegExp(`^${status}\\b`).test(title) ? title : `${status} ${title}`
  return `${said} (an HTML page, not ${whose}'s ${what})`
}
