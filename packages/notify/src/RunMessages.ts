/**
 * The messages a daily run sends, as pure functions from the domain values the stages produce to `Notification`s.
 *
 * **When to use**: the pipeline calls these at the points named below and passes the result to `Notifier.notify`:
 * - `runStarted` when a run begins;
 * - `accountDecisions` after risk approval: one message per account with its decision (a PM's pitch or
 *   abstention, the council's decision) and the orders the gate approved, refused or clamped;
 * - `executionResult` per account after execution (what the broker accepted, filled, refused);
 * - `failure` for anything that failed (a stage, an account, a run refused before it started), with its error;
 * - `missedSessions` when a run starts with sessions since the last completed run that no run traded (the machine
 *   was off, a run was refused or stopped part-way): the operator must hear that days went by untraded;
 * - `runSummary` once at the end: per account its orders, equity and day P&L (P&L since the last completed run's
 *   day when sessions went by without one).
 *
 * **Conventions**: the account goes in `Notification.account` (the channels print it first); sides are written
 * `BUY`/`SELL` and directions `LONG`/`SHORT`/`FLAT` in upper case (the console colours those words); money is
 * US dollars with cents; a value that is not known is `—`. Levels: INFO normally, WARN when something was refused,
 * clamped or abstained, ERROR when something failed. Real money is said: a LIVE account's message or line starts
 * `LIVE ·`, and a message about a run with LIVE accounts names them after its subject (`liveRun`) — its start, a
 * failure, the sessions it missed, its being off schedule, its market data behind the clock.
 *
 * @since 0.1.0
 */
import type {
  Abstention,
  AccountExecution,
  AccountId,
  CouncilDecision,
  ExecutionReport,
  Order,
  OrderIntent,
  Pitch,
  RiskVerdict,
  TradingDay
} from "@council/domain"
import { centsText, signedPercent } from "@council/domain/Figures.js"
import type { Notification, NotificationLevel } from "./Notifier.ts"

/** `$100,512.30`, `−$1,234.50` (`Figures.centsText`, as the CLI writes money); `—` for an unknown amount. */
export const money = (amount: number | null | undefined): string =>
  amount === null || amount === undefined || !Number.isFinite(amount) ? "—" : centsText(amount)

/** `+written` or `−written`; no sign on what is written as zero (`$0.00`, `0.00 %`: never `−$0.00`, as the CLI). */
const signed = (value: number, written: string): string => (/[1-9]/.test(written) ? `${value > 0 ? "+" : "−"}${written}` : written)

const signedMoney = (amount: number): string => signed(amount, centsText(Math.abs(amount)))

const qty = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6))))

/** `1 order`, `2 orders`. */
const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

const price = (p: number): string => (p >= 1 ? p.toFixed(2) : p.toFixed(4))

/**
 * Text from outside (a thesis, a rationale, a broker's or provider's message) on one line: its line breaks as ` / `,
 * so none of its lines can pass for a line of ours — in Slack, where a body keeps its lines, a forged
 * `*COUNCIL* · :information_source: *INFO* · …` head would otherwise read as a message of its own.
 */
const oneLine = (text: string): string =>
  text.split(/[ \t]*(?:\r\n|\r|\n|\u2028|\u2029)+[ \t]*/).filter((part) => part.trim() !== "").join(" / ")

/** A body: one line per item, each item on one line. */
const list = (items: ReadonlyArray<string>): string => items.map(oneLine).join("\n")

export interface RunStart {
  readonly runId: string
  readonly tradingDay: TradingDay
  readonly asOf: TradingDay
  readonly accounts: ReadonlyArray<AccountId>
  readonly dryRun: boolean
  /** E.g. `live`, `replay`. */
  readonly mode?: string
  /** E.g. `close`, `after-close`. */
  readonly schedule?: string
  /** The accounts a retry reconciles again (`reconciles`): read, their orders not sent again. */
  readonly reads?: ReadonlyArray<AccountId>
}

/** `Run started 2024-11-15` — run id, as-of day, accounts, and dry run / mode / schedule when they apply. */
export const runStarted = (run: RunStart): Notification => ({
  level: "INFO",
  subject: `Run started ${run.tradingDay}${run.dryRun ? " (dry run)" : ""}`,
  body: list([
    `run ${run.runId}, data as of ${run.asOf}${run.mode === undefined ? "" : `, ${run.mode}`}${
      run.schedule === undefined ? "" : `, schedule ${run.schedule}`
    }`,
    run.accounts.length === 0 && run.reads !== undefined
      ? `reads ${run.reads.join(", ")} again, sends nothing`
      : `${run.accounts.length} account${run.accounts.length === 1 ? "" : "s"}: ${run.accounts.join(", ")}${run.reads === undefined ? "" : `; reads ${run.reads.join(", ")} again`}`
  ])
})

const conviction = (c: number): string => (c > 0 ? `+${c}` : String(c))

/** `LONG SPY · conviction +2 · BASE · 1W`, or `FLAT` for a pitch without a position. */
export const pitchLine = (pitch: Pitch): string =>
  pitch.symbol === "FLAT" || pitch.direction === "FLAT"
    ? "FLAT"
    : `${pitch.direction} ${pitch.symbol} · conviction ${conviction(pitch.conviction)} · ${pitch.riskProfile} · ${pitch.horizon}`

/** `LONG SPY, SHORT TLT`, or `FLAT` when the council stays out. */
export const decisionLine = (decision: CouncilDecision): string => {
  const trades = decision.trades.filter((t) => t.direction !== "FLAT")
  return trades.length === 0 ? "FLAT" : trades.map((t) => `${t.direction} ${t.symbol}`).join(", ")
}

/**
 * `message`, about a run, with the run's accounts that trade real money (`live`) named after its subject:
 * `Run started 2026-06-05 · LIVE (real money): CLAUDE` — a message about a run with a LIVE account never reads as
 * one about paper accounts alone. Unchanged when `live` is empty or absent.
 */
export const liveRun = (message: Notification, live: ReadonlyArray<string> | undefined): Notification =>
  live === undefined || live.length === 0 ? message : { ...message, subject: `${message.subject} · LIVE (real money): ${live.join(", ")}` }

/** `BUY 10 SPY market cls`, with limit/stop prices and bracket legs: `… · take profit 540.00 · stop 480.00`. */
export const intentLine = (intent: OrderIntent): string => {
  const parts = [
    `${intent.side.toUpperCase()} ${qty(intent.qty)} ${intent.symbol} ${intent.type}${
      intent.limitPrice === undefined ? "" : ` ${price(intent.limitPrice)}`
    }${intent.stopPrice === undefined ? "" : ` stop ${price(intent.stopPrice)}`} ${intent.timeInForce}`
  ]
  if (intent.takeProfit) parts.push(`take profit ${price(intent.takeProfit.limitPrice)}`)
  if (intent.stopLoss) parts.push(`stop loss ${price(intent.stopLoss.stopPrice)}`)
  return parts.join(" · ")
}

/**
 * `line` led by `LIVE ·` when `account` is among `live` (the accounts that trade real money): an order awaiting
 * approval, a summary's or a close-all's line of a LIVE account never reads as a paper one's.
 */
const liveLine = (account: string, line: string, live: ReadonlyArray<string> | undefined): string =>
  live !== undefined && live.includes(account) ? `LIVE · ${line}` : line

/**
 * A run stopped at its approval gate (`run daily --require-approval`): what it would send, per account, and how to
 * decide. WARN: nothing is sent until somebody approves, and a `close` run must be approved before the cutoff.
 */
export const awaitingApproval = (input: {
  readonly runId: string
  readonly tradingDay: TradingDay
  readonly verdict: RiskVerdict
  /** The accounts that trade real money: their orders' lines start `LIVE ·`. */
  readonly live?: ReadonlyArray<string>
}): Notification => {
  const { intents, cancels } = input.verdict
  const accounts = [...new Set(intents.map((i) => i.account))]
  return {
    level: "WARN",
    subject: `Awaiting approval ${input.tradingDay} · ${intents.length} order${intents.length === 1 ? "" : "s"}${
      cancels.length > 0 ? `, ${cancels.length} cancel${cancels.length === 1 ? "" : "s"}` : ""
    }`,
    body: list([
      `run ${input.runId}: nothing is sent until it is approved`,
      ...accounts.flatMap((account) => intents.filter((i) => i.account === account).map((i) => liveLine(account, `${account} ${intentLine(i)}`, input.live))),
      `approve: pnpm pipeline approve ${input.runId} · reject: pnpm pipeline approve ${input.runId} --reject`
    ])
  }
}

/** `BUY 10 SPY market → filled 10 @ 512.30` (or the order's status when it has not filled). */
export const orderLine = (order: Order): string => {
  const head = `${order.side.toUpperCase()} ${qty(order.qty)} ${order.symbol} ${order.type}`
  const outcome = order.filledQty > 0 && order.filledAvgPrice !== null
    ? `${order.status === "filled" ? "filled" : `${order.status}, filled`} ${qty(order.filledQty)} @ ${price(order.filledAvgPrice)}`
    : order.status
  return `${head} → ${outcome}`
}

export interface AccountDecisionInput {
  readonly account: AccountId
  /** The account's own pitch (a PM account). */
  readonly pitch?: Pitch
  /** Why the PM did not pitch. */
  readonly abstention?: Abstention
  /** The council's decision (the COUNCIL account). */
  readonly decision?: CouncilDecision
  /** The gate's verdict; only this account's entries are shown. */
  readonly verdict: RiskVerdict
}

/** One account's decision and the orders the risk gate approved, refused and clamped for it. */
export const accountDecision = (input: AccountDecisionInput): Notification => {
  const mine = <A extends { readonly account: string }>(all: ReadonlyArray<A>) => all.filter((x) => x.account === input.account)
  const intents = mine(input.verdict.intents)
  const rejections = mine(input.verdict.rejections)
  const clamps = mine(input.verdict.clamps)
  const cancels = mine(input.verdict.cancels)
  const decided = input.decision !== undefined
    ? decisionLine(input.decision)
    : input.pitch !== undefined
    ? pitchLine(input.pitch)
    : input.abstention !== undefined
    ? "abstained"
    : "none"
  const reasons = input.decision !== undefined
    ? [input.decision.rationale, ...input.decision.dissent.map((d) => `dissent: ${d}`)]
    : input.pitch !== undefined
    ? input.pitch.thesis
    : input.abstention !== undefined
    ? [input.abstention.reason]
    : []
  const level: NotificationLevel = input.abstention !== undefined || rejections.length > 0 || clamps.length > 0 ? "WARN" : "INFO"
  const orders = intents.length === 0 ? "no orders" : `${intents.length} order${intents.length === 1 ? "" : "s"}`
  return {
    level,
    account: input.account,
    subject: `Decision ${decided} · ${orders}`,
    body: list([
      ...reasons.map((r) => r.trim()).filter((r) => r.length > 0),
      ...intents.map(intentLine),
      ...cancels.map((c) => `cancel ${c.symbol} order ${c.orderId}: ${c.reason}`),
      // a refusal of the whole account (symbol `*`: unreadable, its PM abstained) is said as such: a lone `*` is
      // no symbol to a reader, and Slack's markup would take it for the start of bold text; an account that holds
      // may still send its positions' protective exits, so it traded nothing new
      ...rejections.map((r) => `${r.symbol === "*" ? intents.length === 0 ? "nothing traded" : "nothing new traded" : `refused ${r.symbol}`}: ${r.rule} — ${r.detail}`),
      ...clamps.map((c) => `clamped ${c.symbol}: ${c.rule} ${qty(c.requested)} → ${qty(c.allowed)} — ${c.detail}`)
    ])
  }
}

/**
 * `accountDecision` for every account of `accounts`: a PM gets its pitch or abstention, `councilAccount` the
 * council's decision.
 */
export const accountDecisions = (input: {
  readonly accounts: ReadonlyArray<AccountId>
  readonly pitches: ReadonlyArray<Pitch>
  readonly abstentions: ReadonlyArray<Abstention>
  readonly decision: CouncilDecision
  readonly verdict: RiskVerdict
  readonly councilAccount?: string
}): ReadonlyArray<Notification> =>
  input.accounts.map((account) => {
    const pitch = input.pitches.find((p) => p.pm === account)
    const abstention = input.abstentions.find((a) => a.pm === account)
    return accountDecision({
      account,
      verdict: input.verdict,
      ...(account === (input.councilAccount ?? "COUNCIL") ? { decision: input.decision } : {}),
      ...(pitch === undefined ? {} : { pitch }),
      ...(abstention === undefined ? {} : { abstention })
    })
  })

/**
 * What execution did for one account: ERROR when it failed, WARN when an order failed, else INFO. Its equity only
 * when the execution read one (a run's summary carries every account's equity).
 */
export const executionResult = (execution: AccountExecution): Notification => {
  const level: NotificationLevel = execution.status === "failed" ? "ERROR" : execution.failures.length > 0 ? "WARN" : "INFO"
  const placed = execution.orders.length
  return {
    level,
    account: execution.account,
    subject: `Execution ${execution.status} · ${placed} order${placed === 1 ? "" : "s"}${
      execution.failures.length > 0 ? `, ${execution.failures.length} failed` : ""
    }`,
    body: list([
      ...(execution.message.trim() === "" ? [] : [execution.message.trim()]),
      ...execution.orders.map(orderLine),
      ...execution.failures.map((f) => `failed ${f.symbol} (${f.clientOrderId}): ${f.error}`),
      ...(execution.canceled > 0 ? [`canceled ${execution.canceled} open order${execution.canceled === 1 ? "" : "s"}`] : []),
      // execution no longer reads the account back: the run's summary carries each account's equity
      ...(execution.equity === null ? [] : [`equity ${money(execution.equity)}`])
    ])
  }
}

/** The readable part of an error: its `message` (or `_tag`), else its string form. */
export const describeError = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const { message, _tag } = error as { readonly message?: unknown; readonly _tag?: unknown }
    if (typeof message === "string" && message.trim() !== "") {
      return typeof _tag === "string" && !message.includes(_tag) ? `${_tag}: ${message}` : message
    }
    if (typeof _tag === "string") return _tag
  }
  return String(error)
}

/**
 * A failure with its error: `Failed: Execution` / the error's message. With `live` (the accounts that trade real
 * money): a LIVE account's failure starts `LIVE ·`; a run's (no `account`) that includes LIVE accounts names them
 * after its subject, as `runStarted`'s does (`liveRun`).
 */
export const failure = (input: {
  readonly what: string
  readonly error: unknown
  readonly account?: AccountId
  readonly live?: ReadonlyArray<string>
}): Notification => {
  const told: Notification = {
    level: "ERROR",
    ...(input.account === undefined ? {} : { account: input.account }),
    subject: `Failed: ${input.what}`,
    body: oneLine(describeError(input.error))
  }
  if (input.account === undefined) return liveRun(told, input.live)
  return input.live?.includes(input.account) === true ? { ...told, subject: `LIVE · ${told.subject}` } : told
}

/**
 * One line of the summary: `CHATGPT 2 orders · equity $100,512.30 · day P&L +$512.30 (+0.51 %)`; with `since` (the
 * previous completed run's day, when sessions without one lie between) `P&L since 2026-06-01` instead of `day P&L`.
 */
export const summaryLine = (execution: AccountExecution, previousEquity: number | undefined, since?: TradingDay): string => {
  if (execution.status === "failed") return `${execution.account} FAILED: ${execution.message}`
  const orders = `${execution.orders.length} order${execution.orders.length === 1 ? "" : "s"}${
    execution.failures.length > 0 ? ` (${execution.failures.length} failed)` : ""
  }`
  const pnl = execution.equity !== null && previousEquity !== undefined && previousEquity > 0
    ? `${signedMoney(execution.equity - previousEquity)} (${signedPercent(execution.equity / previousEquity - 1, 2)})`
    : "—"
  return `${execution.account} ${orders} · equity ${money(execution.equity)} · ${since === undefined ? "day P&L" : `P&L since ${since}`} ${pnl}${
    execution.status === "dry-run" ? " · dry run" : ""
  }`
}

/** A session with no completed run: `note` says what became of its run, if it had one. */
export interface MissedSession {
  readonly date: TradingDay
  readonly note?: string
}

/** One line per session with a run; three or more sessions in a row without one as a single line (a long outage). */
const missedLines = (sessions: ReadonlyArray<MissedSession>): ReadonlyArray<string> => {
  const lines: Array<string> = []
  let run: Array<TradingDay> = []
  const flush = () => {
    if (run.length >= 3) lines.push(`${run[0]} … ${run.at(-1)}: no run (${run.length} sessions)`)
    else lines.push(...run.map((date) => `${date}: no run`))
    run = []
  }
  for (const session of sessions) {
    if (session.note === undefined) {
      run.push(session.date)
      continue
    }
    flush()
    lines.push(`${session.date}: ${session.note}`)
  }
  flush()
  return lines
}

/**
 * The sessions between the last completed run (`lastDay`, `lastRunId`) and `tradingDay` that no run traded: one
 * line each. WARN: a machine that was off, a refused or a crashed run must not go by unheard.
 */
export const missedSessions = (input: {
  readonly tradingDay: TradingDay
  readonly lastDay: TradingDay
  readonly lastRunId: string
  readonly sessions: ReadonlyArray<MissedSession>
  /** The run's accounts that trade real money: named after the subject (`liveRun`). */
  readonly live?: ReadonlyArray<string>
}): Notification => {
  const n = input.sessions.length
  return liveRun({
    level: "WARN",
    subject: `${n} session${n === 1 ? "" : "s"} without a completed run before ${input.tradingDay}`,
    body: list([
      `the last completed run is of ${input.lastDay} (${input.lastRunId}); ${
        // a run that stopped part-way or failed may have sent orders before it did
        input.sessions.every((s) => s.note === undefined) ? "nothing was decided or sent on" : "no run completed on (a run named may have sent orders before it stopped)"
      }:`,
      ...missedLines(input.sessions),
      `this run trades ${input.tradingDay} only (no catch-up); orders left at the brokers kept working and its Reconcile records what they did; its P&L is since ${input.lastDay}`
    ])
  }, input.live)
}

/**
 * The end-of-run summary: one line per account (`summaryLine`). Day P&L is equity now minus `previousEquity` (the
 * previous session's close equity per account), `—` where either is unknown. WARN when any account failed.
 */
export const runSummary = (input: {
  readonly report: ExecutionReport
  readonly previousEquity?: Readonly<Record<string, number>>
  readonly runId?: string
  /** The previous completed run's day when sessions without a completed run lie between (`summaryLine`). */
  readonly since?: TradingDay
  /** The accounts that trade real money: their lines start `LIVE ·`. */
  readonly live?: ReadonlyArray<string>
}): Notification => {
  const { accounts } = input.report
  const failed = accounts.filter((a) => a.status === "failed").length
  const orders = accounts.reduce((n, a) => n + a.orders.length, 0)
  return {
    level: failed > 0 ? "WARN" : "INFO",
    subject: `Run summary ${input.report.asOf}${input.report.dryRun ? " (dry run)" : ""} · ${accounts.length} accounts, ${orders} order${
      orders === 1 ? "" : "s"
    }${failed > 0 ? `, ${failed} failed` : ""}`,
    body: list([
      ...(input.runId === undefined ? [] : [`run ${input.runId}`]),
      ...accounts.map((a) => liveLine(a.account, summaryLine(a, input.previousEquity?.[a.account], input.since), input.live))
    ])
  }
}

/** One account's part of a close-all: what it canceled and closed, or why it could not (`error`). */
export interface ClosedAccount {
  readonly account: string
  readonly canceled: number | null
  readonly closed: ReadonlyArray<{ readonly symbol: string; readonly side: string; readonly qty: number }> | null
  readonly error: string | null
}

/**
 * The panic button was pressed (`close-all`, from the CLI or the monitor's API, `via`): a WARN — every order
 * canceled and every position sold or bought back is no routine day — an ERROR when an account could not be
 * closed (it still holds what it held). One line per account: what it canceled and closed, or why not.
 */
export const closedAll = (input: {
  readonly via: string
  readonly accounts: ReadonlyArray<ClosedAccount>
  /** The accounts that trade real money: their lines start `LIVE ·`. */
  readonly live?: ReadonlyArray<string>
}): Notification => {
  const failed = input.accounts.filter((a) => a.error !== null)
  const canceled = input.accounts.reduce((n, a) => n + (a.canceled ?? 0), 0)
  const closed = input.accounts.reduce((n, a) => n + (a.closed?.length ?? 0), 0)
  return {
    level: failed.length > 0 ? "ERROR" : "WARN",
    subject: `Close-all (${input.via}): ${counted(canceled, "order")} canceled, ${counted(closed, "position")} closed` +
      (failed.length > 0 ? `, ${failed.length} of ${input.accounts.length} accounts failed` : ""),
    body: list(input.accounts.map((a) =>
      liveLine(
        a.account,
        a.error !== null
          ? `${a.account} FAILED, still holds what it held: ${a.error}`
          : `${a.account}: ${counted(a.canceled ?? 0, "order")} canceled; ${
            a.closed === null || a.closed.length === 0 ? "no position" : `closed ${a.closed.map((o) => `${o.side.toUpperCase()} ${qty(o.qty)} ${o.symbol}`).join(", ")}`
          }`,
        input.live
      )
    ))
  }
}
