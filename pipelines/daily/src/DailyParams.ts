import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as Struct from "effect/Struct"
import {
  AccountId,
  AccountSettings,
  CancelIntent,
  Clamp,
  formatMoment,
  LEGACY_SCHEDULE,
  type NewYorkMoment,
  OrderIntent,
  Rejection,
  RunSchedule,
  TradingMode
} from "@council/domain"
import { RunContext } from "@council/engine"
import { Lineup } from "@council/llm"
import { BookId, liveBook } from "@council/tracking"
import { KeysFrom } from "./RunFailures.ts"

export { KeysFrom } from "./RunFailures.ts"

/** An account as a run remembers it: no credentials, so params can be exported and replayed anywhere. */
export const AccountProfile = Schema.Struct({
  id: AccountId,
  mode: TradingMode,
  settings: AccountSettings
})
export type AccountProfile = typeof AccountProfile.Type

/**
 * An account's decisions carried from an earlier run of the same day into a retry: the retry sends the very same
 * orders (same client order ids), so what already reached the broker is adopted, never doubled.
 */
export const CarriedPlan = Schema.Struct({
  account: AccountId,
  /** The run whose risk gate decided this plan. */
  from: Schema.String,
  cancels: Schema.Array(CancelIntent),
  intents: Schema.Array(OrderIntent),
  rejections: Schema.Array(Rejection),
  clamps: Schema.Array(Clamp)
})
export type CarriedPlan = typeof CarriedPlan.Type

/** What a daily run remembers about how it was started (stored in the run record). */
export const DailyParams = Schema.Struct({
  accounts: Schema.Array(AccountProfile),
  broker: Schema.String,
  data: Schema.String,
  /** `offline`, or a summary of the live lineup. */
  pms: Schema.String,
  /** Each role's model (`offline:<style>` for stand-ins); absent in runs from before LLM support. */
  models: Schema.optionalKey(Schema.Array(Lineup.RecordedModel)),
  /** A fork's swapped models. */
  swapped: Schema.optionalKey(Schema.Array(Schema.Struct({ role: Schema.String, from: Schema.String, to: Schema.String }))),
  /** Set on a retry of a day's failed accounts: the day's first run, and the plans carried from it. */
  retryOf: Schema.optionalKey(Schema.String),
  carried: Schema.optionalKey(Schema.Array(CarriedPlan)),
  /** When the run decides: `close` (during the session, market-on-close entries) or `after-close`. */
  schedule: Schema.optionalKey(RunSchedule),
  /** The run's as-of moment: RFC 3339 with the New York offset (`2026-06-08T15:45:00-04:00`). */
  asOfTime: Schema.optionalKey(Schema.String),
  /** The run stops after the risk gate until `pnpm pipeline approve` (or `--reject`). */
  requireApproval: Schema.optionalKey(Schema.Boolean),
  /** The TradeLedger book reconciliation writes into (default `live`; a backtest names its own). */
  ledgerBook: Schema.optionalKey(Schema.String),
  /**
   * `day`: each reviewer's ballot is shuffled by the trading day, so every run of a day — live, dry, a backtest's
   * session — asks the same review prompts. Absent (runs from before it): by the run id, as they were asked.
   */
  reviewOrder: Schema.optionalKey(Schema.Literal("day")),
  /**
   * `pitched`: a PM that abstained from pitching (a refusal, a timeout, unreadable answers) is not asked to review
   * that day; the review records it as not reviewing, saying why. Absent (runs from before it): every PM on the
   * roster was asked, as they were.
   */
  reviewers: Schema.optionalKey(Schema.Literal("pitched")),
  /**
   * `read`: a cancel the broker refuses (not cancelable) is followed by a read of that order; if it filled, the
   * symbol's position moved since the gate read it and none of the symbol's orders are sent. Absent (runs from
   * before it): a refused cancel was passed over, and their recordings hold no such read.
   * `group`: as `read`, and the gate names the bracket of a leg it cancels (`CancelIntent.group`), which is what
   * is read back: a leg whose other leg filled reads "canceled" (its group canceled it), as one this run's
   * earlier attempt canceled does, so only the group tells that the position moved. Runs recorded with `read`
   * read the leg, as they did.
   */
  refusedCancels: Schema.optionalKey(Schema.Literals(["read", "group"])),
  /**
   * `sent`: every order the gate makes states what it does to the position (`OrderIntent.positionIntent`, Alpaca's
   * `position_intent`), so the broker refuses a close that would open a short or an entry that would close. Absent
   * (runs from before it): their intents have none, and their orders were sent without it.
   */
  positionIntent: Schema.optionalKey(Schema.Literal("sent")),
  /**
   * `protected`: an account that holds because its PM abstained (or, when no PM pitched, every account) still
   * protects each held position that no order closes with an OCO exit at its `BASE` distances (`risk/Holding.ts`).
   * `covered`: as `protected`, and a position the working orders close in part gets an exit for the rest (runs
   * recorded with `protected` left it as it was). `bracketed`: as `covered`, and the shares a partly filled bracket
   * (or OTO) entry bought count as covered by its legs, which close them once the entry completes (runs recorded
   * with `covered` gave them an exit as well: covered twice once it completed). Absent (runs from before all
   * three): such an account placed nothing, and their recordings hold no such order.
   */
  abstained: Schema.optionalKey(Schema.Literals(["protected", "covered", "bracketed"])),
  /**
   * `protected`: an account whose execution failed once it began sending (a cancel, an order refused or the broker
   * down part-way) reads its positions and open orders once more and gives each held position the working orders
   * do not close (in whole shares) an OCO exit at its `BASE` distances (`stages/Execution.ts`). Absent (runs from
   * before it): a failed account was left as the failure left it, and their recordings hold no such reads.
   * `recognized`: as `protected`, and the exits such a protection of the day placed that the read finds working
   * (a run killed after placing them, before its checkpoint, resumed) are reported with the account's result, so a
   * retry of the day cancels them before sending its plan again; a partly filled bracket entry's shares count as
   * covered by its legs (`abstained: bracketed`). Runs recorded with `protected` reported only the exits they placed.
   */
  failedAccounts: Schema.optionalKey(Schema.Literals(["protected", "recognized"])),
  /**
   * Set on a retry (`retryOf`) of accounts the day's first run could not read at its reconciliation (a refused key,
   * the broker down): the retry runs Reconcile again for these accounts alone — the first stage of the retry, its
   * calls recorded in it — so they have the session's orders, fills and equity snapshot like the others. Absent
   * (every run that is not such a retry, and retries from before it): Reconcile reads every configured account, and
   * a retry reused its first run's reconciliation whole.
   */
  reconciles: Schema.optionalKey(Schema.Array(AccountId)),
  /**
   * `every`: the stages that judge an account by its open orders (the risk gate, Execution's read after a failure,
   * Reconcile) read every page of them when one listing comes back full (`OpenOrderPages`). Absent (runs from
   * before it): one listing, the newest 500, as they recorded it — a replay of such a run asks no further page.
   */
  openOrders: Schema.optionalKey(Schema.Literal("every")),
  /**
   * Where the run's accounts and their keys were configured (`TRADING_ACCOUNTS_CONFIG`, the `per-account variables`
   * `ALPACA_<NAME>_*`, `PAPER_ALPACA_*`, or the `embedded default`): an account whose key the broker refuses is told
   * to fix it there (`RunFailures.keyRefusedAdvice`) — names only, never a value. A retry records its own (the keys
   * it sent with). Absent (runs from before it): the advice named `ALPACA_<NAME>_*` first, then
   * `TRADING_ACCOUNTS_CONFIG`, as those runs recorded it.
   */
  keysFrom: Schema.optionalKey(KeysFrom),
  /**
   * `held`: a close carried into a retry (`carried`) is sent for the shares the account holds when it is sent — its
   * positions read once, after the carried cancels, and for a close whose quantity that changes the order under its
   * client order id (one this retry sent before it was resumed keeps its quantity: adopted), the reads recorded like
   * every broker call — not for the earlier run's snapshot: a partial fill since (an exit's, or the rest of an entry a
   * carried cancel stops) changed the position (`CarriedCloses`). An account holding none of it (or the other side)
   * sends none of that symbol's orders. A retry records `held` whatever its day's first run recorded
   * (`retryParams`). Absent (runs from before it): the carried close kept its quantity, which the broker refuses as an
   * oversell when the position shrank.
   */
  carriedCloses: Schema.optionalKey(Schema.Literal("held"))
})
export type DailyParams = typeof DailyParams.Type

/** What a new run is started with; the rest of its parameters are the choices every new run records. */
export type NewRunBase = Omit<DailyParams, "schedule" | "asOfTime" | "reviewOrder" | "reviewers" | "refusedCancels" | "positionIntent" | "abstained" | "failedAccounts" | "openOrders" | "carriedCloses" | "requireApproval">

/**
 * A new run's parameters (`run daily`'s): its base with its schedule and as-of moment, and the choices every new
 * run records — ballots shuffled by the trading day (`reviewOrder: day`), only PMs that pitched review
 * (`reviewers: pitched`), a refused cancel read back, a bracket's leg by its group (`refusedCancels: group`), each
 * order's position intent stated (`positionIntent: sent`), a holding account's held shares protected, a partly
 * filled bracket's by its legs (`abstained: bracketed`), a failed account's positions given their exits again and
 * the day's earlier such exits found (`failedAccounts: recognized`), every page of an account's open orders read
 * (`openOrders: every`), a retry's carried close sent for the shares then held (`carriedCloses: held`) — and the
 * approval gate when asked for. Runs recorded before a choice keep theirs.
 */
export const newRunParams = (
  base: NewRunBase,
  at: { readonly schedule: RunSchedule; readonly moment: NewYorkMoment },
  requireApproval = false
): DailyParams => ({
  ...base,
  schedule: at.schedule,
  asOfTime: formatMoment(at.moment),
  reviewOrder: "day",
  reviewers: "pitched",
  refusedCancels: "group",
  positionIntent: "sent",
  abstained: "bracketed",
  failedAccounts: "recognized",
  openOrders: "every",
  carriedCloses: "held",
  ...(requireApproval ? { requireApproval: true } : {})
})

/** Decoded params by the run's params object: every stage of a run reads them, often more than once. */
const decodedParams = new WeakMap<object, DailyParams>()
const decodeParams = Schema.decodeUnknownEffect(DailyParams)

/**
 * Decoded accounts by the params' `accounts` array. A backtest's sessions each have a params object of their own
 * (their moment differs) around the very same accounts array, and the accounts' settings were ~90 % of decoding
 * them (~200 µs a session).
 */
const decodedAccounts = new WeakMap<object, ReadonlyArray<AccountProfile>>()
const decodeAccounts = Schema.decodeUnknownExit(DailyParams.fields.accounts)
const decodeBesideAccounts = Schema.decodeUnknownExit(DailyParams.mapFields(Struct.omit(["accounts"])))

/** `decodeParams`, with the accounts decoded once per array; anything refused is decoded whole, for its error. */
const decodeRunParams = (params: unknown): Effect.Effect<DailyParams, Schema.SchemaError> => {
  const raw = typeof params === "object" && params !== null ? (params as { readonly accounts?: unknown }).accounts : undefined
  if (typeof raw !== "object" || raw === null) return decodeParams(params)
  let accounts = decodedAccounts.get(raw)
  if (accounts === undefined) {
    const decoded = decodeAccounts(raw)
    if (Exit.isFailure(decoded)) return decodeParams(params)
    decodedAccounts.set(raw, accounts = decoded.value)
  }
  const rest = decodeBesideAccounts(params)
  return Exit.isSuccess(rest) ? Effect.succeed({ accounts, ...rest.value }) : decodeParams(params)
}

const runParams = Effect.gen(function*() {
  const { params } = yield* RunContext
  const key = typeof params === "object" && params !== null ? params : undefined
  const known = key === undefined ? undefined : decodedParams.get(key)
  if (known !== undefined) return known
  const decoded = yield* decodeRunParams(params).pipe(Effect.orDie)
  if (key !== undefined) decodedParams.set(key, decoded)
  return decoded
})

/** The run's accounts with their settings, as they were when the run started. */
export const runAccounts = Effect.map(runParams, (p) => p.accounts)

/** The ledger book the run reconciles into: `ledgerBook`, or the live book. */
export const runLedgerBook = Effect.flatMap(runParams, (p) =>
  p.ledgerBook === undefined ? Effect.succeed(liveBook) : decodeBookId(p.ledgerBook).pipe(Effect.orDie))

const decodeBookId = Schema.decodeUnknownEffect(BookId)

/** What a run's review ballots are shuffled by: its trading day (`reviewOrder: day`), else its run id. */
export const reviewSeed = Effect.gen(function*() {
  const params = yield* runParams
  const context = yield* RunContext
  return params.reviewOrder === "day" ? context.tradingDay : context.runId
})

/** Whether a PM that abstained from pitching sits out the review (`reviewers: pitched`); runs from before: no. */
export const pitchersReview = Effect.map(runParams, (p) => p.reviewers === "pitched")

/** Whether a refused cancel is read back (`refusedCancels: read` or `group`); runs from before: no (nothing to replay it from). */
export const readsRefusedCancels = Effect.map(runParams, (p) => p.refusedCancels !== undefined)

/** Whether the gate names a canceled leg's bracket (`refusedCancels: group`); runs from before: no (their verdicts have none). */
export const namesCancelGroups = Effect.map(runParams, (p) => p.refusedCancels === "group")

/** Whether the gate states each order's position intent (`positionIntent: sent`); runs from before: no (their orders went without). */
export const statesPositionIntents = Effect.map(runParams, (p) => p.positionIntent === "sent")

/** Whether an account that holds for want of a pitch protects its unprotected positions (`abstained`: `protected`, `covered` or `bracketed`); runs from before: no. */
export const protectsWhenHolding = Effect.map(runParams, (p) => p.abstained !== undefined)

/** Whether such an account also protects the uncovered rest of a partly covered position (`abstained: covered` or `bracketed`); runs from before: no. */
export const coversRemainderWhenHolding = Effect.map(runParams, (p) => p.abstained === "covered" || p.abstained === "bracketed")

/** Whether such an account counts a partly filled bracket entry's shares as covered by its legs (`abstained: bracketed`); runs from before: no. */
export const countsBracketsWhenHolding = Effect.map(runParams, (p) => p.abstained === "bracketed")

/** The plans a retry carries from the day's earlier run (none for a first run). */
export const carriedPlans = Effect.map(runParams, (p) => p.carried ?? [])

/** A run's schedule and as-of moment (`at`, RFC 3339 New York time; absent in runs from before schedules). */
export interface RunTiming {
  readonly schedule: RunSchedule
  readonly at: string | undefined
}

/** The timing a run's params record; runs from before schedules decided after the close (`LEGACY_SCHEDULE`). */
export const timingOf = (params: DailyParams): RunTiming => ({ schedule: params.schedule ?? LEGACY_SCHEDULE, at: params.asOfTime })

const TimingParams = Schema.Struct({ schedule: Schema.optionalKey(RunSchedule), asOfTime: Schema.optionalKey(Schema.String) })
const decodeTiming = Schema.decodeUnknownOption(TimingParams)
/** Timings by the run's params object (as `decodedParams`). */
const timings = new WeakMap<object, RunTiming>()

/** The timing recorded in a run's params, whatever else they hold (none: a run from before schedules). */
export const recordedTiming = (params: unknown): RunTiming => {
  const known = typeof params === "object" && params !== null ? timings.get(params) : undefined
  if (known !== undefined) return known
  const timing = decodeTiming(params)
  const decoded = timing._tag === "Some" ? { schedule: timing.value.schedule ?? LEGACY_SCHEDULE, at: timing.value.asOfTime } : { schedule: LEGACY_SCHEDULE, at: undefined }
  if (typeof params === "object" && params !== null) timings.set(params, decoded)
  return decoded
}

/** The run's schedule and as-of moment, for stages (read on its own: a run without params is a legacy run). */
export const runTiming = Effect.map(RunContext, ({ params }) => recordedTiming(params))

/** Whether an account whose execution failed gives its uncovered positions their exits again (`failedAccounts: protected`); runs from before: no. */
export const protectsFailedAccounts = Effect.map(runParams, (p) => p.failedAccounts !== undefined)

/**
 * Whether that protection reports the day's earlier such exits it finds working and counts a partly filled bracket
 * entry's shares as covered by its legs (`failedAccounts: recognized`); runs from before: no.
 */
export const recognizesEarlierExits = Effect.map(runParams, (p) => p.failedAccounts === "recognized")

/** The accounts a retry reconciles again (`reconciles`); `undefined`: every configured account (any other run). */
export const runReconciles = Effect.map(runParams, (p) => p.reconciles)

/** Where the run's keys were configured (`keysFrom`); `undefined`: a run from before it recorded that. */
export const runKeysFrom = Effect.map(runParams, (p) => p.keysFrom)

/** Whether an account's open orders are read page after page past a full listing (`openOrders: every`); runs from before: no. */
export const readsEveryOpenOrder = Effect.map(runParams, (p) => p.openOrders === "every")

/** Whether a retry's carried closes are sent for the shares held when sent (`carriedCloses: held`); runs from before: no. */
export const sendsCarriedClosesAsHeld = Effect.map(runParams, (p) => p.carriedCloses === "held")
