/** See `Figures.js`: numbers as every table writes them (the CLI, the report, the dashboard). */
export declare const MINUS: "\u2212"
/** `x` with `digits` decimals (default 2), the minus sign unless it rounds to zero. */
export declare const fixed: (x: number, digits?: number) => string
/** The sign `fixed(x, digits)` writes (default 2 digits): 1, −1, or 0 when `x` rounds to zero. */
export declare const writtenSign: (x: number, digits?: number) => -1 | 0 | 1
/** Dollars with `digits` decimals (default 0), grouped: `−$1,234`, `$0` for −0.4 (no sign when it rounds to zero). */
export declare const dollarText: (x: number, digits?: number) => string
/** Dollars with cents, grouped, by arithmetic: `−$1,234.57`, `$0.00` for −0.001 (the CLI's and the notifier's). */
export declare const centsText: (x: number) => string
/** LLM spend: `centsText` from a dollar up (`$1,234.57`), fractions of a cent below (`$0.0123`, `$0.00396`), `$0` for 0. */
export declare const spendText: (x: number) => string
/** Shares: a whole number as it is (`244`), a fraction with 4 decimals (`4.9213`); the CLI's and the dashboard's. */
export declare const sharesText: (x: number) => string
/** A fraction as a percentage with `digits` decimals (default 1): `−12.5 %`, `0.0 %` for −0.0004. */
export declare const percent: (x: number, digits?: number) => string
/** A fraction as a change: `+3.1 %`, `−0.4 %`, `0.0 %` when it rounds to zero. */
export declare const signedPercent: (x: number, digits?: number) => string
/** Digits after the point that write chart ticks `step` apart exactly as `scale` × value (default 1; 100 for percent). */
export declare const tickDigits: (step: number, scale?: number) => number
/** A fraction as a percentage tick of an axis whose ticks are `step` apart: `−7.5 %`, `−1 %`, `0 %`. */
export declare const percentTick: (v: number, step: number) => string
/** A drawdown chart's tick (curves below zero): the depth, positive, as every drawdown is written: `7.5 %`. */
export declare const depthTick: (v: number, step: number) => string
/** Dollars as a tick of an axis whose ticks are `step` apart: whole dollars when the steps are, else cents. */
export declare const dollarTick: (v: number, step: number) => string
/** A count of sessions: `1 session`, `29 sessions`. */
export declare const sessionCount: (n: number) => string
/** A count of daily returns (a statistic's sample size n): `1 daily return`, `59 daily returns`. */
export declare const returnCount: (n: number) => string
/** A window of `returns` daily returns, said both ways: `60 sessions (59 daily returns)`. */
export declare const windowCount: (returns: number) => string
/** The mark of an LLM cost that is (partly) an estimate: `≈$0.0123`. */
export declare const ESTIMATE_MARK: "≈"
/** What the estimate mark means, said once below what carries it. */
export declare const ESTIMATE_NOTE: string
