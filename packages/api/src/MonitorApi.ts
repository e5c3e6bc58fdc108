/**
 * The monitor API: its endpoints, payloads and errors, shared by the server (`apps/server`), its tests and any
 * client (`HttpApiClient.make(MonitorApi)`), without loading the server. The OpenAPI document is served at
 * `/openapi.json`.
 *
 * **Groups**
 * - `accounts` — every account's state, positions and orders as its broker reports them now (read-only).
 * - `runs` — the runs in the store; a run's detail (stages, pitches, peer reviews, the decision with the mechanical
 *   vote beside it, verdicts, execution, LLM costs per stage and per PM).
 * - `standings` — the leaderboard, the daily equity series and the backtests, read from the ledger (`?backtest=ID`
 *   or `latest` for a backtest's book; `live` or nothing for the live book).
 * - `control` — what changes something: close every position, approve a run, start a backtest. Each needs
 *   `Authorization: Bearer $COUNCIL_API_TOKEN`; with no token configured they are refused.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as HttpApi from "effect/http-api/HttpApi"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as HttpApiMiddleware from "effect/http-api/HttpApiMiddleware"
import * as HttpApiSecurity from "effect/http-api/HttpApiSecurity"
import * as OpenApi from "effect/http-api/OpenApi"
import { AccountSnapshot, MechanicalVote, Order, PeerReviewResult, Position, TradingDay } from "@council/domain"
import { RunRecord } from "@council/engine"
import { RunCharge } from "@council/llm/RunCharges"
import { BacktestReport, BookSummary, LlmCosts, Standings } from "@council/tracking"

// --- errors ----------------------------------------------------------------------------------------------------

/**
 * Bad input, in one line naming it: a query parameter, path parameter or body that fails its schema (the server
 * answers these itself, before any handler), a date that is not on the calendar, `from` after `to`, …
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", { message: Schema.String }, { httpApiStatus: 400 }) {}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { message: Schema.String }, { httpApiStatus: 404 }) {}

/** A missing or wrong bearer token, or no `COUNCIL_API_TOKEN` configured (then every mutation is refused). */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", { message: Schema.String }, { httpApiStatus: 401 }) {}

/** An endpoint whose feature is not built yet: it is defined (with its authorization) so clients can rely on it. */
export class NotImplemented extends Schema.TaggedError<NotImplemented>()("NotImplemented", {
  feature: Schema.String,
  message: Schema.String
}, { httpApiStatus: 501 }) {}

/** A request body past what the server reads (its message names the limit): refused before anything is done. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", { message: Schema.String }, { httpApiStatus: 413 }) {}

/**
 * A request body not sent as JSON (`curl -d` sends a form's content type): the message names the type it was sent
 * as and the header to send. Refused before anything is done.
 */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", { message: Schema.String }, { httpApiStatus: 415 }) {}

/**
 * Stored data that does not read back (a checkpoint's output missing or edited, a row that does not decode): asking
 * again will not help — the message names what is lost. Not `Unavailable`, whose store may answer the next time.
 */
export class Damaged extends Schema.TaggedError<Damaged>()("Damaged", { message: Schema.String }, { httpApiStatus: 500 }) {}

/** The store or a broker could not answer (the database busy or unreachable): asking again later may succeed. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", { message: Schema.String }, { httpApiStatus: 503 }) {}

/**
 * A client whose mutations were refused `Unauthorized` too often (10 within 15 minutes): every mutation it sends is
 * refused for a while (`Retry-After`, in seconds), whatever token it carries. Answered before the route runs.
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", { message: Schema.String }, { httpApiStatus: 429 }) {}

export class Authorization extends HttpApiMiddleware.Service<Authorization>()("@council/api/Authorization", {
  security: { bearer: HttpApiSecurity.bearer },
  error: Unauthorized
}) {}

// --- payloads --------------------------------------------------------------------------------------------------

/** One account's answer: what its broker said under `key`, or why it could not say (`error`). */
const perAccount = <K extends string, S extends Schema.Top>(key: K, value: S) =>
  Schema.Struct({
    account: Schema.String,
    mode: Schema.String,
    error: Schema.NullOr(Schema.String),
    ...({ [key]: Schema.NullOr(value) } as { readonly [P in K]: Schema.NullOr<S> })
  })

export const AccountState = perAccount("snapshot", AccountSnapshot)
export type AccountState = typeof AccountState.Type

export const AccountPositions = perAccount("positions", Schema.Array(Position))
export type AccountPositions = typeof AccountPositions.Type

export const AccountOrders = perAccount("orders", Schema.Array(Order))
export type AccountOrders = typeof AccountOrders.Type

export const ClosedAccount = Schema.Struct({
  account: Schema.String,
  canceled: Schema.NullOr(Schema.Int),
  closed: Schema.NullOr(Schema.Array(Order)),
  error: Schema.NullOr(Schema.String)
})
export type ClosedAccount = typeof ClosedAccount.Type

/**
 * The backtest a run is a session of, as `?backtest=` resolved it (`latest`: the id it stood for), and as `show
 * --backtest <bt> --json` names it (`backtest.id`): a backtest's run ids (`<day>-bt`) repeat from one backtest to the
 * next, so a run of one names its backtest. Absent from a run of the home's store.
 */
export const SessionOf = Schema.Struct({
  id: Schema.String.annotate({ description: "the backtest's id, as /api/backtests lists it (never `latest`)" })
}).annotate({ description: "the backtest this run is a session of (answers of ?backtest= alone)" })
export type SessionOf = typeof SessionOf.Type

export const RunSummary = Schema.Struct({
  ...RunRecord.fields,
  /** Wall time from start to finish, when finished. */
  durationMs: Schema.NullOr(Schema.Finite),
  imported: Schema.Boolean,
  /**
   * What the run was charged for LLM calls (`runs`' LLM COST, `RunCharges`): the total and, of it, the worst cases of
   * calls whose usage is unknown (shown `≈` when above 0) — for an imported run, what its recorded exchanges cost;
   * `null` when it asked no model (offline PMs) or an imported run's recordings do not read back (its detail says why).
   */
  llmCost: Schema.NullOr(RunCharge),
  /**
   * For a `running` local run: `in-progress` while a live process runs it; `stopped` when its process is gone
   * (`next`: the command that continues it); `abandoned` when a later day has run since (`next` says why). `null`
   * for any other run.
   */
  activity: Schema.NullOr(Schema.Struct({
    state: Schema.Literals(["in-progress", "stopped", "abandoned"]),
    next: Schema.NullOr(Schema.String)
  })),
  /**
   * For a `completed` run whose execution failed (or could not evaluate) accounts — `run daily` exited 1, and the
   * next run of that day retries them — those accounts, and of how many (`runs` says the same). `null` for any
   * other run. `keyRefused`: those of them whose key pair the broker refused (401), which running the day again
   * fails the same way until the key is fixed. `retried`: the later runs of that day that traded some of them (as
   * `runs` says "run again as R, which traded X"); an account in none of them still awaits its retry.
   */
  failedAccounts: Schema.NullOr(Schema.Struct({
    accounts: Schema.Array(Schema.String),
    of: Schema.Int,
    keyRefused: Schema.Array(Schema.String),
    retried: Schema.Array(Schema.Struct({
      run: Schema.String.annotate({ description: "the later run of the day (not a dry run) that traded them" }),
      accounts: Schema.Array(Schema.String).annotate({ description: "those of the failed accounts it traded (each under the first run that did)" })
    })).annotate({
      description: "the later runs of the day that traded some of the failed accounts — `runs` says \"run again as <run>, which traded <accounts>\"; a failed account in none of them still awaits its retry"
    })
  }).annotate({
    description: "for a completed run whose execution failed (or could not evaluate) accounts: those accounts, of how many, whose key the broker refused (401), and the later runs that traded them; null for any other run"
  })),
  /**
   * For a completed run of the home (not a dry run) whose reconciliation could not read accounts though they traded:
   * the day has no snapshot of them (`equity` has no point of them that day, the leaderboard leaves the day out) —
   * each with its message and what became of it, as `runs` says: `readAgainAs` a later run of the day that read it
   * ("read again as R"), `readLaterBy` a later session's run that read it (the gap can no longer be filled), both
   * `null` while running the day again reads it alone. A day's account is told once, under the first run that could
   * not read it. `null` for any other run (a backtest's session among them).
   */
  unread: Schema.NullOr(Schema.Array(Schema.Struct({
    account: Schema.String,
    message: Schema.String.annotate({ description: "why its reconciliation could not read it" }),
    readAgainAs: Schema.NullOr(Schema.String).annotate({
      description: "the later run of the day that read it — `runs` says \"its reconciliation could not read <account>; read again as <run>\"; null while the day still has no snapshot of it"
    }),
    readLaterBy: Schema.NullOr(Schema.String).annotate({
      description: "a run of a later session that read it: the ledger moved past the day, whose snapshot of it can no longer be taken; null otherwise"
    })
  })).annotate({
    description: "the accounts the run's reconciliation could not read though they traded: the day has no snapshot of them until the day is run again (which reads them alone, placing nothing); null for any other run"
  })),
  backtest: Schema.optionalKey(SessionOf)
})
export type RunSummary = typeof RunSummary.Type

/**
 * A backtest's book as `/api/backtests` lists it: its summary, and for a book marked `running` its `activity` —
 * `in-progress` while a live process runs it, `stopped` when its process is gone (`next`: the command that continues
 * it); `null` for a book that is not `running`.
 */
export const BacktestListing = Schema.Struct({
  ...BookSummary.fields,
  activity: Schema.NullOr(Schema.Struct({
    state: Schema.Literals(["in-progress", "stopped"]),
    next: Schema.NullOr(Schema.String)
  }))
})
export type BacktestListing = typeof BacktestListing.Type

/**
 * A run `/api/runs` lists whose stored row or parameters do not read back: listed in its place (the others still
 * are), with what of its row reads and `damage`, what is wrong (`/api/runs/:id` of it answers 500 `Damaged` saying so).
 */
export const DamagedRunSummary = Schema.Struct({
  id: Schema.String,
  tradingDay: Schema.NullOr(Schema.String),
  startedAt: Schema.NullOr(Schema.String),
  damage: Schema.String,
  backtest: Schema.optionalKey(SessionOf)
})
export type DamagedRunSummary = typeof DamagedRunSummary.Type

export const StageStatus = Schema.Literals(["completed", "reused", "missing"])

export const StageView = Schema.Struct({
  name: Schema.String,
  status: StageStatus,
  attempt: Schema.NullOr(Schema.Int),
  startedAt: Schema.NullOr(Schema.String),
  finishedAt: Schema.NullOr(Schema.String),
  durationMs: Schema.NullOr(Schema.Finite),
  /** The run this checkpoint was copied from (a fork). */
  reusedFrom: Schema.NullOr(Schema.String),
  /** External calls recorded by the stage. */
  calls: Schema.Int
})
export type StageView = typeof StageView.Type

/**
 * The mechanical conviction-weighted vote, always computed beside the chairman's decision (its shadow baseline),
 * compared with the decision the council took.
 */
export const ShadowVote = Schema.Struct({
  ...MechanicalVote.fields,
  /** The council's decision trades the same symbols in the same directions (convictions may differ). */
  agrees: Schema.Boolean,
  /** Why the chairman's answer was not used, so that this vote decided; `null` when the chairman decided. */
  fallback: Schema.NullOr(Schema.String)
})
export type ShadowVote = typeof ShadowVote.Type

/**
 * A run in detail. Pitches, decision, verdicts and execution are the checkpoints as stored, decoded leniently (any
 * JSON), so runs stored by older code come through as they are; peer reviews, the shadow vote and LLM costs are
 * typed (`null` where the run has none).
 */
export const RunDetail = Schema.Struct({
  run: RunSummary,
  stages: Schema.Array(StageView),
  /** `PmPitches`: pitches and abstentions. */
  pitches: Schema.NullOr(Schema.Json),
  /** `PeerReview`: each reviewer's ballot over anonymous labels, abstentions and the Borda aggregate. */
  reviews: Schema.NullOr(PeerReviewResult),
  /** `CouncilSynthesis`: the council's decision (the chairman's, or the mechanical vote's when it fell back). */
  decision: Schema.NullOr(Schema.Json),
  /** The mechanical vote stored beside the decision, when the run has one. */
  shadowVote: Schema.NullOr(ShadowVote),
  /** `RiskApproval`: intents, rejections, clamps, cancels. */
  verdicts: Schema.NullOr(Schema.Json),
  /** `Execution`: what each account did. */
  execution: Schema.NullOr(Schema.Json),
  /** Every checkpoint's output by stage name, including stages this server does not know. */
  outputs: Schema.Record(Schema.String, Schema.Json),
  /**
   * What the run spent on LLM calls (the store's `llm_spend`): per stage, per PM and the chairman, per model;
   * `null` when it spent nothing (offline PMs, an imported run).
   */
  llmCosts: Schema.NullOr(LlmCosts.RunCosts)
})
export type RunDetail = typeof RunDetail.Type

/** The most items one page of a list holds (`?limit=`), and how many when unsaid. */
export const PAGE = { max: 1000, default: 50 } as const

/** `?limit=` of a list: how many items of it, newest first. */
const pageLimit = (what: string) =>
  Schema.optional(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: PAGE.max }))).annotateKey({
    description: `how many ${what}, newest first: an integer 1–${PAGE.max}; default ${PAGE.default}`
  })

const bookQuery = {
  backtest: Schema.optional(Schema.String).annotate({ description: "a backtest's id, or `latest`; `live` (the default): the live book" })
}
const day = (what: string) => TradingDay.annotate({ description: `${what} of the window, YYYY-MM-DD (a calendar date)` })
const windowQuery = {
  ...bookQuery,
  from: Schema.optional(day("the first session")),
  to: Schema.optional(day("the last session (not before `from`)"))
}
const accountQuery = {
  account: Schema.optional(Schema.String.annotate({ description: "one account, by name (any case); default: every account" }))
}

export const StartBacktest = Schema.Struct({
  from: TradingDay,
  to: TradingDay,
  accounts: Schema.optional(Schema.Array(Schema.String)),
  pms: Schema.optional(Schema.Literals(["offline", "replay", "live"]))
})

// --- groups ----------------------------------------------------------------------------------------------------

export class AccountsGroup extends HttpApiGroup.make("accounts")
  .add(
    HttpApiEndpoint.get("list", "/accounts", { success: Schema.Array(AccountState) }),
    HttpApiEndpoint.get("positions", "/positions", {
      query: accountQuery,
      success: Schema.Array(AccountPositions),
      error: BadRequest
    }),
    HttpApiEndpoint.get("orders", "/orders", {
      query: { ...accountQuery, status: Schema.optional(Schema.Literals(["open", "closed", "all"]).annotate({ description: "default: open" })) },
      success: Schema.Array(AccountOrders),
      error: BadRequest
    })
  )
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Accounts", description: "What each broker reports now (read-only)" }))
{}

const runsSource = {
  backtest: Schema.optional(Schema.String).annotateKey({
    description: "a backtest's id, or `latest`: its session runs, read from its own database (ids like `<day>-bt` repeat " +
      "from one backtest to the next, so repeat the parameter on every request about one of them; LLM costs are its " +
      "book's); `live` (the default): the home's runs. One the ledger does not hold, or whose database is missing, is a 404"
  })
}

export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.get("list", "/runs", {
      query: {
        limit: pageLimit("runs"),
        before: Schema.optional(Schema.String).annotateKey({
          description: "a cursor: the runs listed after this run id (the last of the previous page); absent: from the newest"
        }),
        id: Schema.optional(Schema.String).annotateKey({
          description: "that run alone: a list of it, or an empty list when there is no such run (not a 404: a client " +
            "asks whether a run exists before it opens /api/runs/{id}, as the dashboard does for a link it is given)"
        }),
        ...runsSource
      },
      success: Schema.Array(Schema.Union([RunSummary, DamagedRunSummary])),
      error: [BadRequest, NotFound, Damaged, Unavailable]
    }),
    HttpApiEndpoint.get("get", "/runs/:id", {
      params: { id: Schema.String.annotate({ description: "a run's id, as /api/runs lists them" }) },
      query: {
        outputs: Schema.optional(Schema.Literals(["all", "none"])).annotateKey({
          description: "`none` leaves `outputs` empty (every stage's stored output, the market snapshot of FetchData " +
            "alone ~250 KB: 97 % of the answer) for a client that needs the stages and the decoded parts; default all"
        }),
        ...runsSource
      },
      success: RunDetail,
      error: [BadRequest, NotFound, Damaged, Unavailable]
    })
  )
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Runs", description: "Runs of the daily pipeline and their checkpoints" }))
{}

/**
 * A backtest's answer's `dataChanged`: present when the market data here no longer reads as the data the backtest
 * ran on (its recorded bars' sha256 through its last session), as `leaderboard`/`equity --backtest` warn on stderr.
 */
const dataChanged = Schema.optionalKey(Schema.String).annotateKey({
  description: "present when the backtest's market data here no longer matches the bars it ran on (their sha256 through its last session, " +
    "recorded in its book): its SPY closes and its RANDOM and MECHANICAL baselines are worked out from the data here, not from the data " +
    "it ran on — the warning `leaderboard`/`equity --backtest` give on stderr; absent when the data reads the same or cannot be compared"
})

/** `/api/leaderboard`'s answer: the leaderboard (`Standings.LeaderboardReport`), and of a backtest `dataChanged`. */
export const LeaderboardAnswer = Schema.Struct({ ...Standings.LeaderboardReport.fields, dataChanged })
export type LeaderboardAnswer = typeof LeaderboardAnswer.Type

/** `/api/backtests/{id}/report`'s answer: the report's data (`BacktestReport.ReportData`), and `dataChanged`. */
export const ReportAnswer = Schema.Struct({ ...BacktestReport.ReportData.fields, dataChanged })
export type ReportAnswer = typeof ReportAnswer.Type

export class StandingsGroup extends HttpApiGroup.make("standings")
  .add(
    HttpApiEndpoint.get("leaderboard", "/leaderboard", {
      query: windowQuery,
      success: LeaderboardAnswer,
      error: [BadRequest, NotFound, Damaged, Unavailable]
    }),
    HttpApiEndpoint.get("equity", "/equity", {
      query: { ...windowQuery, ...accountQuery },
      success: Standings.EquityReport,
      error: [BadRequest, NotFound, Damaged, Unavailable]
    }),
    HttpApiEndpoint.get("equityChart", "/equity/chart", {
      query: windowQuery,
      success: Standings.EquityChart,
      error: [BadRequest, NotFound, Damaged, Unavailable]
    }).annotate(OpenApi.Description, "every account's equity and SPY's close as columns over the sessions: what a chart draws, " +
      "~14 times smaller than /api/equity over a long backtest"),
    HttpApiEndpoint.get("backtests", "/backtests", {
      query: {
        limit: pageLimit("backtests"),
        before: Schema.optional(Schema.String).annotateKey({
          description: "a cursor: the backtests listed after this backtest id (the last of the previous page); absent: from the newest"
        }),
        id: Schema.optional(Schema.String).annotateKey({
          description: "that backtest alone (`latest`: the newest): a list of it, or an empty list when there is none (not a 404)"
        })
      },
      success: Schema.Array(BacktestListing),
      error: [BadRequest, Damaged, Unavailable]
    }).annotate(OpenApi.Description, "the backtests' books, newest first, a page at a time: a page shorter than `limit` is the last; " +
      "the next one is `?before=` the last id listed"),
    HttpApiEndpoint.get("backtest", "/backtests/:id", {
      params: { id: Schema.String.annotate({ description: "a backtest's id, or `latest`" }) },
      success: BacktestListing,
      error: [NotFound, Damaged, Unavailable]
    }),
    HttpApiEndpoint.get("report", "/backtests/:id/report", {
      params: { id: Schema.String.annotate({ description: "a backtest's id, `latest`, or `live` (the live book)" }) },
      success: ReportAnswer,
      error: [NotFound, Damaged, Unavailable]
    })
  )
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Standings", description: "Leaderboard, equity and backtests from the ledger" }))
{}

export class ControlGroup extends HttpApiGroup.make("control")
  .add(
    HttpApiEndpoint.post("closeAll", "/close-all", {
      payload: Schema.Struct({ account: Schema.optional(Schema.String) }),
      success: Schema.Array(ClosedAccount),
      error: [BadRequest, PayloadTooLarge, UnsupportedMediaType, TooManyRequests]
    }),
    HttpApiEndpoint.post("approve", "/runs/:id/approve", {
      params: { id: Schema.String.annotate({ description: "a run stopped at the approval gate" }) },
      payload: Schema.Struct({ reject: Schema.optional(Schema.Boolean) }),
      success: RunSummary,
      error: [NotFound, BadRequest, PayloadTooLarge, UnsupportedMediaType, NotImplemented, TooManyRequests]
    }),
    HttpApiEndpoint.post("startBacktest", "/backtests", {
      payload: StartBacktest,
      success: BookSummary,
      error: [BadRequest, PayloadTooLarge, UnsupportedMediaType, NotImplemented, TooManyRequests]
    })
  )
  .middleware(Authorization)
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Control", description: "Mutations: each needs Authorization: Bearer $COUNCIL_API_TOKEN" }))
{}

/** What this server allows: the dashboard offers a mutation only when the server would accept one. */
export const ServerInfo = Schema.Struct({
  mutations: Schema.Boolean.annotate({
    description: "whether the server was started with COUNCIL_API_TOKEN: without it every mutation (close-all, approve, " +
      "start a backtest) is refused, whatever token a request carries"
  })
})

export class ServerGroup extends HttpApiGroup.make("server")
  .add(HttpApiEndpoint.get("get", "/server", { success: ServerInfo }))
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Server", description: "What this server allows (read-only; never the token)" }))
{}

export class MonitorApi extends HttpApi.make("council-monitor")
  .add(ServerGroup)
  .add(AccountsGroup)
  .add(RunsGroup)
  .add(StandingsGroup)
  .add(ControlGroup)
  .annotateMerge(OpenApi.annotations({ title: "Council monitor API", version: "0.1.0" }))
{}
