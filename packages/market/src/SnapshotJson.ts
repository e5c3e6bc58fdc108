/**
 * The JSON of the market data's snapshots, known before anyone asks: a snapshot is recorded and checkpointed by
 * every run (2,100 bars at the PMs' lookback, ~225 KB of JSON), and walking its schema to encode it, then
 * stringifying it, cost more than the rest of the stage.
 *
 * **Details**: a snapshot built by `MarketData` is plain JSON made of parts the bar index validated when it loaded
 * (calendar dates, finite numbers, ticker symbols), so it is its own encoding (`encodedAsItself`). Its bars' text
 * is cut from the text of their symbol's whole series, made once (`BarIndex.joinedText`: a backtest's windows slide
 * a session a day), and the snapshot's text is built only when first asked (a live run never asks).
 *
 * **Gotchas**: only for snapshots built as `MarketData` builds them — keys `asOf`, `universe`, `history`
 * (`symbol`, `bars`), then `intraday` if any, in that order — whose text must equal `JSON.stringify`'s; the tests
 * hold both claims against the schema's own encoding.
 *
 * @since 0.1.0
 */
import { type Bar, MarketSnapshot } from "@council/domain"
import { encodedAsItself, type JsonText, rememberJsonText, textHash } from "@council/engine"
import { joinedText } from "./BarIndex.ts"

const barJson = (bar: Bar): string => JSON.stringify(bar)

/** `JSON.stringify(snapshot)` for a snapshot whose keys are in `MarketData`'s order, from the bars' texts. */
export const snapshotText = (snapshot: MarketSnapshot): string => {
  const history = snapshot.history.map((h) => `{"symbol":${JSON.stringify(h.symbol)},"bars":[${joinedText(h.bars, barJson, ",")}]}`)
  const intraday = snapshot.intraday === undefined ? "" : `,"intraday":${JSON.stringify(snapshot.intraday)}`
  return `{"asOf":${JSON.stringify(snapshot.asOf)},"universe":${JSON.stringify(snapshot.universe)},"history":[${history.join(",")}]${intraday}}`
}

/** A `JsonText` whose text and hash are computed when first read. */
const lazyText = (build: () => string): JsonText => {
  let text: string | undefined
  let hash: string | undefined
  return {
    get text() {
      return (text ??= build())
    },
    get hash() {
      return (hash ??= textHash(this.text))
    }
  }
}

/** Snapshots marked by `knownJson`. */
const marked = new WeakSet<MarketSnapshot>()

/** Marks a snapshot `MarketData` built from its index as its own JSON, with its text to come. Returns it. */
export const knownJson = (snapshot: MarketSnapshot): MarketSnapshot => {
  marked.add(snapshot)
  rememberJsonText(snapshot, lazyText(() => snapshotText(snapshot)))
  return encodedAsItself(MarketSnapshot, snapshot)
}

/** `derived` (built from `source`'s parts, as `sessionSoFar` does) marked as `knownJson` does when `source` is. */
export const knownJsonIf = (source: MarketSnapshot, derived: MarketSnapshot): MarketSnapshot =>
  marked.has(source) ? knownJson(derived) : derived
