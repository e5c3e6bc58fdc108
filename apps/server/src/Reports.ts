/**
 * A book's report as a page of its own: `GET /backtests/:id/report.html` (`:id` a backtest's id, `latest`, or
 * `live`) answers `BacktestReport.renderHtml` — the very file `pnpm pipeline backtest` writes — under a content
 * security policy that lets it load nothing at all (it needs nothing: inline CSS and SVG, no script).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { MarketData } from "@council/market"
import { BacktestReport, isDamagedLedger, liveBook, Standings, type TradeLedger } from "@council/tracking"
import type { CompletedBooks } from "./CompletedBooks.ts"

const HEADERS = {
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff"
}

const plain = (status: number, text: string) => HttpServerResponse.text(text, { status, headers: HEADERS })

/** The report route, over the services it reads (captured when the layer is built); completed books computed once. */
export const routes = (riskFree: number, completed: CompletedBooks) =>
  Layer.unwrap(Effect.gen(function*() {
    const context = yield* Effect.context<TradeLedger | MarketData | SqlClient.SqlClient>()
    const votes = yield* Effect.serviceOption(Standings.MechanicalVotes)
    const report = Effect.gen(function*() {
      const { id } = yield* HttpRouter.params
      const book = id === "live" ? liveBook : yield* Standings.bookFor(id)
      const data = yield* completed.answer({ kind: "report", book, riskFree }, Standings.equityReport)
      return HttpServerResponse.text(BacktestReport.renderHtml(data), { contentType: "text/html; charset=utf-8", headers: HEADERS })
    }).pipe(
      Effect.provide(context),
      Option.isSome(votes) ? Effect.provideService(Standings.MechanicalVotes, votes.value) : (e) => e,
      Effect.catchTags({
        BookNotFound: (e) => Effect.succeed(plain(404, e.message)),
        LedgerError: (e) => Effect.succeed(plain(isDamagedLedger(e) ? 500 : 503, `the ledger could not be read: ${e.message}`))
      })
    )
    return HttpRouter.add("GET", "/backtests/:id/report.html", report)
  }))
