/**
 * Every number the backtest report's page shows, read back from the page itself and checked against the JSON
 * behind it (`renderJson`), to the precision the page writes: the leaderboard with its intervals, the metrics, the
 * baselines and attribution, the accounts, and every point and tick of the two charts through each svg's own scale.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BacktestReport, BookId, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"

const BOOK = BookId.make("bt-report-numbers")

/** A number as the page writes it: `+12.3 %`, `−0.45`, `$1,234.56`, `−$12`; `null` for "—". The minus sign is U+2212. */
const shown = (text: string): { readonly value: number; readonly half: number } | null => {
  const t = text.trim()
  if (t === "—") return null
  const m = t.match(/^([+−]?)(\$?)([\d,]+)(?:\.(\d+))?( %)?$/)
  assert.isNotNull(m, `not a number as the page writes one: "${t}"`)
  const [, sign, , whole, fraction = "", percent] = m!
  assert.match(whole!, /^\d{1,3}(,\d{3})*$|^\d+$/, t)
  let value = Number(`${whole!.replaceAll(",", "")}.${fraction}0`) * (sign === "−" ? -1 : 1)
  let half = 0.5 * 10 ** -fraction.length
  if (percent !== undefined) {
    value /= 100
    half /= 100
  }
  return { value, half }
}

const agrees = (text: string, expected: number | null | undefined, label: string) => {
  const s = shown(text)
  if (expected === null || expected === undefined) return assert.isNull(s, `${label}: "${text}" for no value`)
  assert.isNotNull(s, `${label}: "—" for ${expected}`)
  assert.isAtMost(Math.abs(s!.value - expected), s!.half * (1 + 1e-9) + 1e-12, `${label}: "${text}" for ${expected}`)
}

type Estimate =
  | { readonly _tag: "Interval"; readonly estimate: number; readonly lower: number; readonly upper: number; readonly level: number }
  | { readonly _tag: "TooFewSessions"; readonly estimate: number | null }
  | { readonly _tag: "Undefined" }

const estimateAgrees = (text: string, e: Estimate, label: string) => {
  const m = text.match(/^(\S+(?: %)?) \((\d+) % CI (\S+(?: %)?) … (\S+(?: %)?)\)$/)
  if (e._tag === "Interval") {
    assert.isNotNull(m, `${label}: "${text}" has no interval`)
    agrees(m![1]!, e.estimate, `${label} estimate`)
    assert.strictEqual(Number(m![2]), Math.round(e.level * 100), label)
    agrees(m![3]!, e.lower, `${label} lower`)
    agrees(m![4]!, e.upper, `${label} upper`)
  } else {
    assert.isNull(m, label)
    agrees(text, e._tag === "TooFewSessions" ? e.estimate : null, label)
  }
}

/** The body rows of the page's `<table class="name">`, each a list of its cells' inner HTML. */
const tableRows = (html: string, name: string): ReadonlyArray<ReadonlyArray<string>> => {
  const at = html.indexOf(`<table class="${name}">`)
  assert.isAtLeast(at, 0, `no ${name} table`)
  const body = html.slice(html.indexOf("<tbody>", at), html.indexOf("</tbody>", at))
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]!))
}

interface Svg {
  readonly log: boolean
  readonly y0: number
  readonly y1: number
  readonly top: number
  readonly bottom: number
  readonly series: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>
  readonly ticks: ReadonlyArray<readonly [number, string]>
  readonly axis: ReadonlyArray<readonly [number, string]>
  readonly caption: string
  readonly note: string | null
}

const svgs = (html: string): ReadonlyArray<Svg> =>
  [...html.matchAll(/<figure><figcaption>([^<]*)<\/figcaption>(<svg [^>]*>.*?<\/svg>).*?(?:<p class="chart-note">(.*?)<\/p>)?<\/figure>/g)].map(([, caption, svg, note]) => {
    const attr = (name: string) => svg!.match(new RegExp(`data-${name}="([^"]+)"`))![1]!
    return {
      caption: caption!,
      note: note ?? null,
      log: attr("scale") === "log",
      y0: Number(attr("y0")),
      y1: Number(attr("y1")),
      top: Number(attr("top")),
      bottom: Number(attr("bottom")),
      series: new Map([...svg!.matchAll(/data-series="([^"]+)"[^>]* points="([^"]*)"/g)].map(([, name, points]) =>
        [name!, points!.split(" ").map((p) => p.split(",").map(Number) as unknown as readonly [number, number])] as const
      )),
      ticks: [...svg!.matchAll(/<text class="tick" x="\d+" y="([\d.]+)" text-anchor="end" dominant-baseline="middle">([^<]+)<\/text>/g)].map(([, y, label]) =>
        [Number(y), label!] as const
      ),
      axis: [...svg!.matchAll(/<text class="date" x="([\d.]+)" y="\d+" text-anchor="(?:start|middle|end)">([^<]+)<\/text>/g)].map(([, x, d]) =>
        [Number(x), d!] as const
      )
    }
  })

const LEFT = 84
const RIGHT = 950

/**
 * Tick values a reader calls round, in ascending order: on a log axis 1, 2 or 5 times a power of ten (three at
 * least); else multiples of one step that is 1, 2, 2.5 or 5 times a power of ten, evenly spaced.
 */
const roundTicks = (values: ReadonlyArray<number>, log: boolean) => {
  const ascending = values
  assert.deepStrictEqual(ascending, [...ascending].sort((a, b) => a - b), "ticks from the bottom up")
  const mantissa = (v: number) => Number((Math.abs(v) / 10 ** Math.floor(Math.log10(Math.abs(v)))).toPrecision(9))
  if (log && values.length >= 3 && values.every((v) => [1, 2, 5].includes(mantissa(v)))) return
  assert.isAtLeast(values.length, 2, `ticks ${values}`)
  const step = ascending[1]! - ascending[0]!
  assert.include([1, 2, 2.5, 5], mantissa(step), `tick step ${step}`)
  ascending.forEach((v) => assert.closeTo(v / step, Math.round(v / step), 1e-6, `tick ${v} a multiple of ${step}`))
  ascending.slice(1).forEach((v, i) => assert.closeTo(v - ascending[i]!, step, step * 1e-6, "evenly spaced"))
}

/**
 * The session axis: the first and last session by their dates, at the plot's edges; between them each label a year
 * (`YYYY`) or a month (`YYYY-MM`) at the x of its first session, in order.
 */
const dateAxis = (axis: ReadonlyArray<readonly [number, string]>, dates: ReadonlyArray<string>) => {
  const xOf = (i: number) => LEFT + (i / (dates.length - 1)) * (RIGHT - LEFT)
  assert.deepStrictEqual(axis[0]![1], dates[0])
  assert.deepStrictEqual(axis.at(-1)![1], dates.at(-1))
  assert.closeTo(axis[0]![0], xOf(0), 0.05 + 1e-9)
  assert.closeTo(axis.at(-1)![0], xOf(dates.length - 1), 0.05 + 1e-9)
  const inner = axis.slice(1, -1)
  assert.isAtLeast(inner.length, 1, "no label between the first and last session")
  for (const [x, label] of inner) {
    assert.match(label, /^\d{4}(-\d{2})?$/)
    const i = dates.findIndex((d) => d.startsWith(label))
    assert.isAbove(i, 0, label)
    assert.closeTo(x, xOf(i), 0.05 + 1e-9, `${label} at its first session ${dates[i]}`)
  }
  assert.deepStrictEqual(axis.map(([x]) => x), [...axis.map(([x]) => x)].sort((a, b) => a - b), "dates left to right")
}

describe("the report page's numbers", () => {
  it.effect("every number on the page is the JSON's, to the digits it shows; every chart point the JSON's value on its session", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "numbers", from, to: TradingDay.make("2023-08-01"), params: { pms: "offline" } })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 80)
      for (const day of sim.days) yield* ledger.record(day)
      const data = yield* BacktestReport.reportData(BOOK)
      const html = BacktestReport.renderHtml(data)
      const json = JSON.parse(BacktestReport.renderJson(data))
      const board = json.leaderboard.leaderboard

      // the leaderboard, its header line and its intervals
      const head = html.match(/<p>(\S+) … (\S+) · (\d+) sessions \((\d+) daily returns\) · SPY buy-and-hold (\S+ %) ·\n95 % intervals by stationary block bootstrap \((\d+) replicates, mean block length (\d+), seed “([^”]+)”\)/)!
      assert.isNotNull(head)
      assert.deepStrictEqual([head[1], head[2], head[4]], [board.from, board.to, String(board.sessions)])
      // one window, one count of sessions: the header's is the book's (every account has every session here)
      assert.deepStrictEqual([head[3], board.from, board.to], [String(json.book.sessions), json.book.firstSession, json.book.lastSession])
      agrees(head[5]!, board.benchmark.totalReturn, "SPY")
      assert.deepStrictEqual(head.slice(6, 9), [String(board.replicates), String(board.blockLength), board.seed])
      const ranked = tableRows(html, "leaderboard")
      assert.strictEqual(ranked.length, board.rows.length)
      ranked.forEach((cells, i) => {
        const row = board.rows[i]
        assert.deepStrictEqual(
          [cells[0], cells[1], cells[5], cells[6]],
          [row.rank === null ? "—" : String(row.rank), row.account, row.beatsBenchmark ? "yes" : "no", row.beatsBenchmarkFamilyWise ? "yes" : "no"]
        )
        estimateAgrees(cells[2]!, row.totalReturn, `${row.account} total return`)
        estimateAgrees(cells[3]!, row.sharpe, `${row.account} Sharpe`)
        estimateAgrees(cells[4]!, row.excessReturn, `${row.account} excess`)
      })
      assert.isTrue(board.rows.some((r: any) => r.totalReturn._tag === "Interval"), "no interval to check")

      // the metrics, turnover in the unit of the baselines' note (COUNCIL's turnover (…×/yr))
      const metricsAt = html.indexOf(`<table class="metrics">`)
      const headers = [...html.slice(metricsAt, html.indexOf("</thead>", metricsAt)).matchAll(/<th>([^<]*)<\/th>/g)].map((m) => m[1])
      assert.strictEqual(headers[10], "turnover (×/yr)")
      const metrics = tableRows(html, "metrics")
      assert.strictEqual(metrics.length, board.rows.length)
      metrics.forEach((cells, i) => {
        const { account, metrics: m } = board.rows[i]
        assert.strictEqual(cells.length, 16)
        assert.strictEqual(cells[0], account)
        const fields = [m.totalReturn, m.annualizedReturn, m.volatility, m.sharpe, m.sortino]
        fields.forEach((v, k) => agrees(cells[k + 1]!, v, `${account} metric ${k + 1}`))
        const [depth, span] = cells[6]!.split(" <small>")
        agrees(depth!, m.maxDrawdown.depth, `${account} max drawdown`)
        assert.strictEqual(span, `${m.maxDrawdown.peak} → ${m.maxDrawdown.trough}${m.maxDrawdown.recovery ? ` ↗ ${m.maxDrawdown.recovery}` : ""}</small>`)
        agrees(cells[7]!, m.calmar, `${account} Calmar`)
        agrees(cells[8]!, m.winRateDays, `${account} win days`)
        if (m.closedTrades === null || m.closedTrades === 0) assert.strictEqual(cells[9], "—")
        else {
          const [rate, n] = cells[9]!.split(" of ")
          agrees(rate!, m.winRateTrades, `${account} win trades`)
          assert.strictEqual(Number(n), m.closedTrades)
        }
        agrees(cells[10]!, m.turnover, `${account} turnover`)
        agrees(cells[11]!, m.averageExposure, `${account} exposure`)
        agrees(cells[12]!, m.excessReturn, `${account} excess`)
        agrees(cells[13]!, m.llmCost, `${account} LLM cost`)
        agrees(cells[14]!, m.pnlNetOfCost, `${account} net P&L`)
        assert.strictEqual(Number(cells[15]), m.sessions)
      })
      assert.isTrue(board.rows.some((r: any) => r.metrics.closedTrades > 0), "no closed trade to check")

      // the baselines and the attribution
      const contest = json.leaderboard.contest
      const council = board.rows.find((r: any) => r.account === "COUNCIL").metrics
      const note = contest.note.match(/COUNCIL's turnover \(([\d.]+)×\/yr\) and exposure \((\d+) %\)/)!
      agrees(note[1]!, council.turnover, "the note's turnover")
      agrees(`${note[2]} %`, council.averageExposure, "the note's exposure")
      assert.include(html, contest.note.replaceAll("'", "&#39;"))
      const baselines = tableRows(html, "baselines")
      // in the note's order (RANDOM, then MECHANICAL), whatever their ranks
      const named = ["RANDOM", "MECHANICAL"].filter((a) => contest.baselines.rows.some((r: any) => r.account === a))
      assert.deepStrictEqual(baselines.map((c) => c[0]), named)
      baselines.forEach((cells) => {
        const row = contest.baselines.rows.find((r: any) => r.account === cells[0])
        estimateAgrees(cells[1]!, row.totalReturn, `${row.account} total return`)
        estimateAgrees(cells[2]!, row.sharpe, `${row.account} Sharpe`)
        estimateAgrees(cells[3]!, row.excessReturn, `${row.account} excess`)
        // as `leaderboard`'s BASELINE table: turnover, exposure, n
        assert.strictEqual(cells.length, 7)
        agrees(cells[4]!, row.metrics.turnover, `${row.account} turnover`)
        agrees(cells[5]!, row.metrics.averageExposure, `${row.account} exposure`)
        assert.strictEqual(Number(cells[6]), row.metrics.sessions)
      })
      const attribution = tableRows(html, "attribution")
      assert.strictEqual(attribution.length, contest.attribution.comparisons.length)
      attribution.forEach((cells, i) => {
        const c = contest.attribution.comparisons[i]
        assert.deepStrictEqual([cells[0], cells[1]], [c.against, c.account])
        estimateAgrees(cells[2]!, c.totalReturn, `against ${c.against}: Δ total return`)
        estimateAgrees(cells[3]!, c.sharpe, `against ${c.against}: Δ Sharpe`)
        assert.strictEqual(cells[4]!.replaceAll("&#39;", "'"), c.verdict)
      })

      // the accounts
      const accounts = tableRows(html, "accounts")
      assert.strictEqual(accounts.length, json.equity.accounts.length)
      accounts.forEach((cells, i) => {
        const { account, points } = json.equity.accounts[i]
        assert.deepStrictEqual([cells[0], cells[1], cells[2], cells[5]], [account, points[0].date, points.at(-1).date, String(points.length)])
        agrees(cells[3]!, points[0].equity, `${account} start`)
        agrees(cells[4]!, points.at(-1).equity, `${account} end`)
      })
      const settings = tableRows(html, "settings")
      assert.deepStrictEqual(settings.find((c) => c[0] === "sessions recorded")![1], `${json.book.sessions} (${json.book.firstSession} … ${json.book.lastSession})`)

      // the charts: each point at its session's x and, through the svg's scale, at the JSON's value
      const dates: ReadonlyArray<string> = [...new Set<string>(json.equity.accounts.flatMap((a: any) => a.points.map((p: any) => p.date)))].sort()
      // SPY scaled to the accounts' mean first equity (the dashboard's rule)
      const firsts: ReadonlyArray<number> = json.equity.accounts.map((a: any) => a.points[0].equity)
      const start = firsts.reduce((a, b) => a + b, 0) / firsts.length
      const marks = new Map<string, number>(json.equity.benchmark.points.map((p: any) => [p.date, p.mark]))
      const spyStart = marks.get(dates[0]!)!
      const spyValues = dates.map((d) => start * marks.get(d)! / spyStart)
      let peak = 0
      let peakDate = dates[0]!
      let deepest = { depth: 0, peak: dates[0]!, trough: dates[0]! }
      const spyDrawdowns = spyValues.map((v, i) => {
        if (v > peak) (peak = v, peakDate = dates[i]!)
        if (1 - v / peak > deepest.depth) deepest = { depth: 1 - v / peak, peak: peakDate, trough: dates[i]! }
        return -(1 - v / peak)
      })
      const accountsDeepest = Math.max(...json.equity.accounts.flatMap((a: any) => a.points.map((p: any) => p.drawdown)))
      // SPY's drawdown is drawn beside the accounts' only when it does not flatten them: at most twice their deepest
      const spyDrawn = deepest.depth <= 2 * accountsDeepest
      const expected = (drawdown: boolean) =>
        new Map<string, ReadonlyArray<number | null>>([
          ...json.equity.accounts.map((a: any) => {
            const byDate = new Map(a.points.map((p: any) => [p.date, drawdown ? -p.drawdown : p.equity]))
            return [a.account, dates.map((d) => (byDate.get(d) ?? null) as number | null)] as const
          }),
          ...(drawdown && !spyDrawn ? [] : [["SPY buy-and-hold", drawdown ? spyDrawdowns : spyValues] as const])
        ])
      const [equityChart, drawdownChart] = svgs(html)
      assert.strictEqual(equityChart!.caption, "Equity per account, with SPY buy-and-hold from the same start, log scale")
      assert.strictEqual(drawdownChart!.caption, "Drawdown from the running peak")
      // under the drawdown chart: SPY's deepest drawdown, its dates, and whether it is drawn
      const said = drawdownChart!.note!.match(/^SPY buy-and-hold’s deepest drawdown over these sessions: <span id="spy-drawdown">(\S+ %)<\/span> \((\S+) → (\S+)\)(.*)\.$/)!
      assert.isNotNull(said, drawdownChart!.note!)
      agrees(said[1]!, deepest.depth, "SPY's deepest drawdown (a depth, positive as the table's)")
      assert.deepStrictEqual([said[2], said[3]], [deepest.peak, deepest.trough])
      assert.strictEqual(said[4], spyDrawn ? ", drawn dashed" : "; not drawn: on its scale the accounts’ curves would be flat lines at the top")
      for (const [svg, drawdown] of [[equityChart!, false], [drawdownChart!, true]] as const) {
        const want = expected(drawdown)
        const all = [...want.values()].flat().filter((v): v is number => v !== null)
        assert.strictEqual(svg.log, !drawdown)
        const scaled = (v: number) => (svg.log ? Math.log(v) : v)
        assert.closeTo(svg.y0, scaled(Math.min(...all)), 1e-9)
        assert.closeTo(svg.y1, scaled(Math.max(...all)), 1e-9)
        const perPixel = (svg.y1 - svg.y0) / (svg.bottom - svg.top)
        const valueAt = (y: number) => svg.y0 + ((svg.bottom - y) / (svg.bottom - svg.top)) * (svg.y1 - svg.y0)
        assert.sameMembers([...svg.series.keys()], [...want.keys()])
        for (const [name, values] of want) {
          const points = svg.series.get(name)!
          const present = values.flatMap((v, i) => (v === null ? [] : [[i, v] as const]))
          assert.strictEqual(points.length, present.length, name)
          points.forEach(([x, y], k) => {
            const [i, v] = present[k]!
            assert.closeTo(x, LEFT + (i / (dates.length - 1)) * (RIGHT - LEFT), 0.05 + 1e-9, `${name} x of ${dates[i]}`)
            assert.closeTo(valueAt(y), scaled(v), 0.05 * perPixel + 1e-9, `${name} on ${dates[i]}`)
          })
        }
        // the ticks: round values inside the scale, each written at its height (a drawdown's tick says its depth:
        // the curve's value below zero, written positive)
        const tickValue = (label: string) => (drawdown ? -1 : 1) * shown(label)!.value
        roundTicks(svg.ticks.map(([, label]) => tickValue(label)), svg.log)
        svg.ticks.forEach(([y, label]) => {
          assert.isAtLeast(y, svg.top - 0.05)
          assert.isAtMost(y, svg.bottom + 0.05)
          assert.closeTo(valueAt(y), scaled(tickValue(label)), 0.05 * perPixel + 1e-9, `tick ${label} at its height`)
        })
        dateAxis(svg.axis, dates)
      }
    }).pipe(Effect.provide(ledgerHome("council-report-numbers-"))))
})
