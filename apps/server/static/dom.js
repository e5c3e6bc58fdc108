// The dashboard's building blocks: elements (never HTML from strings), numbers as the page writes them, the
// accounts' colours. No dependency; every module of the page imports them from here.

// the mark of an LLM cost that is (partly) an estimate and its note, the CLI's and the report's (the same module)
import { dollarText, ESTIMATE_MARK, ESTIMATE_NOTE, fixed, percent, signedPercent, spendText, writtenSign } from "./figures.js"

export const SVG = "http://www.w3.org/2000/svg"
// the six accounts' colours first (the backtest report's too): every two tell apart, with deuteranopia as well;
// COUNCIL's is the darkest, SPY's a dashed grey
export const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#e377c2", "#b91c1c", "#111827", "#65a30d", "#6d28d9", "#475569"]
export const BENCHMARK_COLOR = "#6b7280"

/** Builds an element: h("td", { class: "num" }, "text", child…). Strings become text nodes (never HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v)
    else if (k === "style") setStyle(el, v)
    else el.setAttribute(k, String(v))
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

/** Styles through the CSSOM: the page's Content-Security-Policy forbids inline style attributes. */
export function setStyle(el, text) {
  for (const declaration of String(text).split(";")) {
    const at = declaration.indexOf(":")
    if (at > 0) el.style.setProperty(declaration.slice(0, at).trim(), declaration.slice(at + 1).trim())
  }
}

/** Whole dollars: `−$1,234`, `$0` for −0.4 (no sign on what rounds to zero, as every figure of the page). */
export const money = (x) => x === null || x === undefined ? "—" : dollarText(x, 0)
/**
 * LLM spend as `show` and `runs` print it (`spendText`, the same module): fractions of a cent stay visible
 * ($0.00396), a dollar and up grouped ($1,234.57); `−$0.00100`, never `$-0.001`.
 */
export const usd = (x) => x === null || x === undefined ? "—" : spendText(x)
export { ESTIMATE_MARK, ESTIMATE_NOTE }
/** LLM spend of which `estimated` dollars are worst cases: marked `≈` when any. */
export const usdOf = (x, estimated) => `${estimated > 0 ? ESTIMATE_MARK : ""}${usd(x)}`
// percentages and ratios as the CLI and the report write them (the same module): the minus sign (−), never a hyphen,
// and no sign on a value that rounds to zero
export const pct = (x, d = 1) => x === null || x === undefined ? "—" : percent(x, d)
export const signed = (x, d = 1) => x === null || x === undefined ? "—" : signedPercent(x, d)
export const num = (x, d = 2) => x === null || x === undefined ? "—" : fixed(x, d)
/** The colour of a fraction written as a percentage with `d` decimals: none when it rounds to zero there. */
export const tone = (x, d = 1) => x === null || x === undefined ? "" : ["neg", "", "pos"][writtenSign(x * 100, d) + 1]
export const ms = (x) => x === null || x === undefined ? "—" : x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`
export const badge = (text) => h("span", { class: `badge ${String(text).replace(/[^a-z-]/gi, "")}` }, text)
export const card = (title, ...body) => h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...body)

/** The six accounts keep the same colour on every page, whichever of them a page names first. */
export const colors = new Map(["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"].map((name, i) => [name, PALETTE[i]]))
export const colorOf = (name) => {
  if (!colors.has(name)) colors.set(name, PALETTE[colors.size % PALETTE.length])
  return colors.get(name)
}

/**
 * A button under a list the API gives a page at a time (`?limit=&before=`): a click runs `next`, which shows the
 * page after those shown and says whether one may follow (a full page); the button goes once the last is shown. A
 * page that fails to load leaves the button, saying why on hover, to try again.
 */
export function moreButton(id, label, next) {
  const button = h("button", { type: "button", class: "more", id }, label)
  button.addEventListener("click", async () => {
    button.disabled = true
    try {
      if (await next()) button.disabled = false
      else button.remove()
    } catch (error) {
      button.disabled = false
      button.title = `could not load: ${error.message}`
    }
  })
  return button
}
