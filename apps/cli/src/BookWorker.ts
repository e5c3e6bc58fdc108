/**
 * The monitor's second thread: answers `BookAnswers` queries (a book's equity report, chart, leaderboard, report)
 * over the same settings, ledger and market data as `pnpm pipeline leaderboard`, so that the server's thread keeps
 * answering other requests while a cold full-range book is computed (seconds of synchronous steps).
 *
 * **When to use**: `serve` gives the server `offThread` (`BookAnswers.OffThread`) for as long as it serves. The worker starts on the first query and
 * is kept (unreferenced: it never holds the process open). A query it cannot answer — the worker failed to start or
 * exited, or the computation failed — answers `None`, and the server computes that one in its own thread (so
 * errors read exactly as before).
 *
 * **Gotchas**: the worker opens its own connection to the home's database (read-only work: the ledger, the spend
 * ledger, the backtests' run stores) and loads its own market data: the first query pays for that once. Its
 * completed books' equity reports are kept as the server keeps them (`CompletedBooks`), so a dashboard asking for a
 * leaderboard and a chart at once reads the equity once.
 *
 * @since 0.1.0
 */
import { parentPort, Worker, workerData } from "node:worker_threads"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { BookQuery, OffThread } from "@council/server/BookAnswers"

interface Request {
  readonly id: number
  readonly query: BookQuery
}

interface Reply {
  readonly id: number
  /** The answer, or `undefined` when it could not be computed. */
  readonly answer?: unknown
}

/** The worker's side: a runtime over the CLI's reading layers, answering each query as it comes. */
const serveQueries = async () => {
  const [{ BookAnswers }, { CompletedBooks }, { configured, storage }, { marketFeed }, { votesByBook }, { Standings, TradeLedger }] = await Promise.all([
    import("@council/server/BookAnswers").then((m) => ({ BookAnswers: m })),
    import("@council/server/CompletedBooks").then((m) => ({ CompletedBooks: m })),
    import("./Storage.ts"),
    import("./Market.ts"),
    import("./BacktestFiles.ts"),
    import("@council/tracking")
  ])
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(TradeLedger.layer, votesByBook).pipe(Layer.provideMerge(storage("empty")), Layer.provideMerge(marketFeed), Layer.provideMerge(configured))
  )
  const completed = CompletedBooks.make()
  const equityOf = (window: Parameters<typeof Standings.equityReport>[0]) =>
    completed.through("equity *", window.book, window, Standings.equityReport(window))
  parentPort!.on("message", ({ id, query }: Request) => {
    void runtime.runPromiseExit(BookAnswers.answer(query, equityOf)).then((exit) =>
      parentPort!.postMessage({ id, ...(Exit.isSuccess(exit) ? { answer: exit.value } : {}) } satisfies Reply)
    )
  })
}

/** Marks the worker this module starts (another worker importing it, vitest's, must not answer queries). */
const MARK = "council-book-worker"

if (parentPort !== null && workerData === MARK) void serveQueries()

/**
 * An `OffThread` over a worker running this module, started on the first query (and again after it exited), ended
 * when the scope closes. `None` when the worker could not answer.
 */
export const offThread: Effect.Effect<OffThread, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => workerThread()),
  ({ terminate }) => Effect.promise(terminate)
).pipe(Effect.map(({ ask }) => ask))

const workerThread = () => {
  let worker: Worker | undefined
  let next = 0
  const waiting = new Map<number, (answer: Option.Option<unknown>) => void>()
  const start = () => {
    const started = new Worker(new URL(import.meta.url), { workerData: MARK })
    started.unref()
    started.on("message", ({ id, answer }: Reply) => {
      waiting.get(id)?.(answer === undefined ? Option.none() : Option.some(answer))
      waiting.delete(id)
    })
    const gone = () => {
      if (worker === started) worker = undefined
      for (const done of waiting.values()) done(Option.none())
      waiting.clear()
    }
    started.on("error", gone)
    started.on("exit", gone)
    return started
  }
  const ask: OffThread = (query) =>
    Effect.callback<Option.Option<unknown>>((resume) => {
      worker ??= start()
      const id = next++
      waiting.set(id, (answer) => resume(Effect.succeed(answer)))
      worker.postMessage({ id, query } satisfies Request)
      return Effect.sync(() => waiting.delete(id))
    })
  const terminate = async () => {
    await worker?.terminate()
  }
  return { ask, terminate }
}
