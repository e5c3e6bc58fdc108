/**
 * The backtest report's line charts as inline SVG (`BacktestReport.renderHtml`): round ticks on the value axis
 * (1, 2 and 5 times a power of ten on a log axis, as the dashboard's `charts.js` draws them; their labels are
 * `Figures.js`'s `percentTick`/`dollarTick`, the dashboard's too), dates on the session
 * axis (the first session of each year on a long span, of each month on a short one), a caption that names the scale.
 *
 * **Gotchas**
 * - The <svg> carries its scale for whoever checks the drawing: `data-scale` (`log` or `linear`), `data-y0`/`data-y1`
 *   (the value domain, natural logs on a log axis), `data-top`/`data-bottom` (its pixels). Value ticks are
 *   `<text class="tick">`, date labels `<text class="date">`.
 * - A log axis needs every value positive; otherwise the chart falls back to a linear axis and its caption says
 *   nothing of a log scale.
 *
 * @since 0.1.0
 */

export interface Line {
  readonly name: string
  readonly color: string
  readonly values: ReadonlyArray<number | null>
  readonly dashed?: boolean
}

export interface ChartOptions {
  /** The caption; `, log scale` is added after it when the axis is logarithmic. */
  readonly title: string
  /** A tick's label; `step`: the distance to the next tick, so labels carry the digits that tell them apart. */
  readonly format: (value: number, step: number) => string
  readonly log?: boolean
  /** A line under the chart (after its legend), already escaped HTML. */
  readonly note?: string | undefined
}

export const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]!)

/** Evenly spaced round tick values (1, 2, 2.5 or 5 times a power of ten apart) within [lo, hi]. */
export const linearTicks = (lo: number, hi: number, count = 5): ReadonlyArray<number> => {
  const span = hi - lo || Math.abs(hi) || 1
  const rough = span / count
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough * (1 - 1e-9))!
  const out: Array<number> = []
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)))
  return out
}

/** Ticks of a log axis over [lo, hi] (lo > 0): 1, 2 and 5 times the powers of ten there, else even ones. */
export const logTicks = (lo: number, hi: number): ReadonlyArray<number> => {
  const out: Array<number> = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12))
      if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) out.push(v)
    }
  }
  return out.length >= 3 ? out : linearTicks(lo, hi)
}

/** The smallest distance between two of `ticks` (the span when fewer than two). */
const stepOf = (ticks: ReadonlyArray<number>, span: number) => {
  const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!)
  return gaps.length > 0 ? Math.min(...gaps) : Math.abs(span) || 1
}

/**
 * Which sessions of `dates` (sorted `YYYY-MM-DD`) get a label, and the label: the first and last session by their
 * date; between them the first session of each year (written `YYYY`) when the span crosses three years or more,
 * else of each month (`YYYY-MM`), every `n`th of them so that there are about `maxLabels` at most.
 */
export const dateLabels = (dates: ReadonlyArray<string>, maxLabels: number): ReadonlyArray<readonly [number, string]> => {
  if (dates.length === 0) return []
  const years = new Set(dates.map((d) => d.slice(0, 4))).size
  const unit = years >= 4 ? 4 : 7
  const starts = dates.flatMap((d, i) => (i > 0 && d.slice(0, unit) !== dates[i - 1]!.slice(0, unit) ? [[i, d.slice(0, unit)] as const] : []))
  const every = Math.max(1, Math.ceil(starts.length / Math.max(1, maxLabels)))
  // keep the inner labels clear of the first and last (full dates, ~2 labels wide)
  const clear = Math.ceil(dates.length / Math.max(1, maxLabels))
  const inner = starts.filter((_, k) => k % every === 0).filter(([i]) => i >= clear && i <= dates.length - 1 - clear)
  return dates.length === 1 ? [[0, dates[0]!]] : [[0, dates[0]!], ...inner, [dates.length - 1, dates.at(-1)!]]
}

/** A line chart over the sessions `dates` (see the module), or a line saying there is nothing to draw. */
export const lineChart = (dates: ReadonlyArray<string>, lines: ReadonlyArray<Line>, options: ChartOptions): string => {
  const width = 960
  const height = 300
  // room left of the plot for a tick label of ~12 characters ("$12,345,678", "−100.0 %")
  const pad = { left: 84, right: 10, top: 10, bottom: 30 }
  const values = lines.flatMap((l) => l.values.filter((v): v is number => v !== null))
  if (dates.length < 2 || values.length === 0) return `<p class="empty">${escape(options.title)}: fewer than two sessions</p>`
  const logScale = options.log === true && values.every((v) => v > 0)
  const title = `${options.title}${logScale ? ", log scale" : ""}`
  const scaled = (v: number) => (logScale ? Math.log(v) : v)
  const all = values.map(scaled)
  const lo = Math.min(...all)
  const hi = Math.max(...all)
  const span = hi - lo || 1
  const [left, right, top, bottom] = [pad.left, width - pad.right, pad.top, height - pad.bottom]
  const x = (i: number) => left + (i / (dates.length - 1)) * (right - left)
  const y = (v: number) => top + (1 - (scaled(v) - lo) / span) * (bottom - top)
  const polyline = (line: Line) => {
    const points = line.values.flatMap((v, i) => (v === null ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`])).join(" ")
    return `<polyline data-series="${escape(line.name)}" fill="none" stroke="${line.color}" stroke-width="1.5"${
      line.dashed ? " stroke-dasharray=\"4 3\"" : ""
    } points="${points}"><title>${escape(line.name)}</title></polyline>`
  }
  const marks = logScale ? logTicks(Math.exp(lo), Math.exp(hi)) : linearTicks(lo, hi)
  const step = stepOf(marks, hi - lo)
  const ticks = marks.map((v) =>
    `<line class="grid" x1="${left}" x2="${right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>` +
    `<text class="tick" x="${left - 6}" y="${y(v).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${escape(options.format(v, step))}</text>`
  )
  // a full date is ~65 px wide at 11 px, a year ~25: a label every ~90 px at most
  const labels = dateLabels(dates, Math.floor((right - left) / 90))
  const axis = labels.map(([i, label], k) =>
    `<line class="grid" x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${bottom}" y2="${bottom + 4}"/>` +
    `<text class="date" x="${x(i).toFixed(1)}" y="${height - 8}" text-anchor="${k === 0 ? "start" : k === labels.length - 1 ? "end" : "middle"}">${escape(label)}</text>`
  )
  const legend = lines.map((l) => `<span><i class="${l.dashed ? "dashed" : ""}" style="--c:${l.color}"></i>${escape(l.name)}</span>`).join("")
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}" data-scale="${
    logScale ? "log" : "linear"
  }" data-y0="${lo}" data-y1="${hi}" data-top="${top}" data-bottom="${bottom}">` +
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" class="frame"/>` +
    `${ticks.join("")}${axis.join("")}${lines.map(polyline).join("")}</svg><div class="legend">${legend}</div>${
      options.note === undefined ? "" : `<p class="chart-note">${options.note}</p>`
    }</figure>`
}
