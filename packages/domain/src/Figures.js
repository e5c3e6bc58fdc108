/**
 * Numbers as every table and message writes them: the CLI's, the backtest report's, the notifier's and the dashboard's,
 * which loads this very file (`/figures.js`). It lives in `@council/domain`, below every package that writes a number
 * (the notifier and the tracking adapters depend on nothing of each other's). Percentages, signed percentages and ratios carry the minus sign (U+2212), never a hyphen, and
 * no sign at all when the value rounds to zero at the digits shown: `−0.0 %` or `+0.0 %` would claim a loss or a
 * gain the digits do not show.
 *
 * The mark of an LLM cost that is (partly) an estimate, and its note, are here for the same reason.
 *
 * **Why JavaScript**: the browser runs this file as it is (no build step), so the page cannot format a number
 * otherwise than the CLI. Its types are in `Figures.d.ts`; it imports nothing.
 *
 * @since 0.1.0
 */

/** The minus sign (U+2212), as the tables write a negative number. */
export const MINUS = "\u2212"

/** Whether a number written by `toFixed` shows no digit but zeros. */
const showsZero = (written) => !/[1-9]/.test(written)

/** `x` with `digits` decimals (`−1.25`, `0.00` for −0.001). */
export const fixed = (x, digits = 2) => {
  const written = Math.abs(x).toFixed(digits)
  return `${x < 0 && !showsZero(written) ? MINUS : ""}${written}`
}

/** The sign `fixed(x, digits)` writes: 1, −1, or 0 when `x` rounds to zero (a page colours a gain or loss by it). */
export const writtenSign = (x, digits = 2) => showsZero(Math.abs(x).toFixed(digits)) ? 0 : x > 0 ? 1 : -1

/**
 * Dollars with `digits` decimals (0 to 2) and `Intl`'s grouping, the minus sign on a negative amount and none on
 * one that rounds to zero: `−$1,234`, `$0` for −0.4 (the dashboard's; the CLI writes cents with `Table.usd`).
 */
export const dollarText = (x, digits = 0) => {
  const written = Math.abs(x).toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: digits, maximumFractionDigits: digits })
  return `${x < 0 && !showsZero(written) ? MINUS : ""}${written}`
}

const byIntl = (x) => x.toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 })

/**
 * US dollars with cents, the one money format of the CLI's tables and lines and of the notifier's messages:
 * `Intl`'s digits (`$1,234.57`: grouping, the shortest decimal of the number rounded half away from zero to cents)
 * with the minus sign (`−$1,234.57`), and no sign on an amount that rounds to zero cents (`-0.001` is `$0.00`).
 * Written by arithmetic: the first currency format of a process loads ICU's number data (~20 ms of every
 * `run daily`). Non-finite values and those JavaScript writes with an exponent go to `Intl`.
 */
export const centsText = (x) => {
  const text = String(Math.abs(x))
  if (!Number.isFinite(x) || text.includes("e")) {
    const written = byIntl(x)
    return written === "-$0.00" ? "$0.00" : written.replace(/^-/, MINUS)
  }
  const [whole = "0", fraction = ""] = text.split(".")
  const cents = BigInt(whole + (fraction + "00").slice(0, 2)) + ((fraction[2] ?? "0") >= "5" ? 1n : 0n)
  const digits = cents.toString().padStart(3, "0")
  const dollars = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `${x < 0 && cents > 0n ? MINUS : ""}$${dollars}.${digits.slice(-2)}`
}

/**
 * LLM spend, the CLI's, the notifier's and the dashboard's: from a dollar up as every amount of money is written
 * (`centsText`: `$1,234.57`, grouped); below, fractions of a cent kept visible (`$0.0123`, `$0.00396`); `$0` for
 * nothing; the minus sign, none on what rounds to zero.
 */
export const spendText = (x) => {
  if (x === 0) return "$0"
  const a = Math.abs(x)
  if (!(a < 1)) return centsText(x)
  const written = a.toFixed(a < 0.01 ? 5 : 4)
  return `${x < 0 && !showsZero(written) ? MINUS : ""}$${written}`
}

/**
 * Shares as the CLI's tables and lines write them (and the dashboard's orders): a whole number as it is (`244`), a
 * fraction of a share with 4 decimals (`4.9213`).
 */
export const sharesText = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(4))

/** A fraction as a percentage with `digits` decimals: `−12.5 %`, `0.0 %` for −0.0004. */
export const percent = (x, digits = 1) => `${fixed(x * 100, digits)} %`

/** A fraction as a change, its sign always written unless it rounds to zero: `+3.1 %`, `−0.4 %`, `0.0 %`. */
export const signedPercent = (x, digits = 1) => {
  const written = Math.abs(x * 100).toFixed(digits)
  return `${showsZero(written) ? "" : x > 0 ? "+" : MINUS}${written} %`
}

/**
 * Digits after the point that write chart ticks `step` apart exactly when written as `scale` × value (100 for
 * percent): 0 for a step of 1 or 50,000, 1 for 0.5 or 2.5, 2 for 0.25 (at most 6). The report's and the
 * dashboard's axes both label their ticks with it.
 */
export const tickDigits = (step, scale = 1) => {
  const written = Math.abs(step * scale)
  for (let digits = 0; digits < 6; digits++) {
    const shifted = written * 10 ** digits
    if (Math.abs(shifted - Math.round(shifted)) < 1e-6 * Math.max(1, shifted)) return digits
  }
  return 6
}

/** A fraction as a percentage tick of an axis whose ticks are `step` apart: `−7.5 %` (2.5 % apart), `−1 %` (1 % apart), `0 %`. */
export const percentTick = (v, step) => `${fixed(Math.abs(v) < 1e-12 ? 0 : v * 100, tickDigits(step, 100))} %`

/**
 * A drawdown chart's tick: its curves fall below zero as equity falls from its peak, and its labels are depths, written
 * positive as every drawdown is (the report's and the dashboard's max drawdown, `leaderboard`'s MAX DD): `7.5 %`.
 */
export const depthTick = (v, step) => percentTick(-v, step)

/** Dollars as a tick of an axis whose ticks are `step` apart: whole dollars when the steps are, else cents (`−$0.80`). */
export const dollarTick = (v, step) => dollarText(v, tickDigits(step) === 0 ? 0 : 2)

/** A count of sessions: `1 session`, `29 sessions`. */
export const sessionCount = (n) => `${n} session${n === 1 ? "" : "s"}`

/** A count of daily returns (a statistic's sample size n): `1 daily return`, `59 daily returns`. */
export const returnCount = (n) => `${n} daily return${n === 1 ? "" : "s"}`

/**
 * A window of `returns` daily returns, said both ways: `60 sessions (59 daily returns)`. A window's returns run
 * between its consecutive sessions, so it spans one session more than it has returns; the leaderboard's `sessions`
 * fields count the returns.
 */
export const windowCount = (returns) => `${sessionCount(returns + 1)} (${returnCount(returns)})`

/** The mark of an LLM cost that is (partly) an estimate: `≈$0.0123`. */
export const ESTIMATE_MARK = "≈"

/** What the estimate mark means, said once below what carries it. */
export const ESTIMATE_NOTE = `${ESTIMATE_MARK}: includes the worst case charged for calls whose usage is unknown (timed out, dropped, answered without usage)`
