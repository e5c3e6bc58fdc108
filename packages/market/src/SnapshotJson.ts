/**
 * The JSON of the market data's snapshots, known before anyone asks: a snapshot is recorded and checkpointed by
 * every run (2,100 bars at the PMs' lookback, ~225 KB of JSON), and walking its schema to encode it, then
 * stringifying it, cost more than the rest of the stage.
 *
 * **Details**: a snapshot built by `MarketData` is plain JSON made of parts the bar index validated when it loaded
 * (calendar dates, finite numbers, ticker symbols), so it is its own encoding (`encodedAsItself`). Its bars' text
 * is cut from the text of their symbol's whole series, made once (`BarIndex.joinedPieces`: a backtest's windows slide
 * a session a day). Its UTF-8 bytes (`JsonText.bytes`), written from those pieces, and their hash are computed when
 * first asked (what a store asks); its text only when asked itself (a store that has the bytes does not).
 *
 * **Gotchas**: only for snapshots built as `MarketData` builds them — keys `asOf`, `universe`, `history`
 * (`symbol`, `bars`), then `intraday` if any, in that order — whose text must equal `JSON.stringify`'s; the tests
 * hold both claims against the schema's own encoding.
 *
 * @since 0.1.0
 */
import { type Bar, MarketSnapshot } from "@council/domain"
import { bytesHash, encodedAsItself, type JsonText, rememberJsonText } from "@council/engine"
import { joinedPieces } from "./BarIndex.ts"

const barJson = (bar: Bar): string => JSON.stringify(bar)

/** The pieces of `JSON.stringify(snapshot)`, in order, for a snapshot whose keys are in `MarketData`'s order. */
const snapshotPieces = (snapshot: MarketSnapshot): Array<string> => {
  const pieces = [`{"asOf":${JSON.stringify(snapshot.asOf)},"universe":${JSON.stringify(snapshot.universe)},"history":[`]
  snapshot.history.forEach((h, i) => {
    pieces.push(`${i === 0 ? "" : ","}{"symbol":${JSON.stringify(h.symbol)},"bars":[`)
    joinedPieces(h.bars, barJson, ",", pieces)
    pieces.push("]}")
  })
  pieces.push(snapshot.intraday === undefined ? "]}" : `],"intraday":${JSON.stringify(snapshot.intraday)}}`)
  return pieces
}

/** `JSON.stringify(snapshot)` for a snapshot whose keys are in `MarketData`'s order, from the bars' texts. */
export const snapshotText = (snapshot: MarketSnapshot): string => snapshotPieces(snapshot).join("")

/**
 * `Buffer.from(snapshotText(snapshot))`, written piece by piece: the ~225 KB text is never built as one string
 * (its copy, then its flattening for the encoding, cost more than the hash of the bytes).
 */
export const snapshotBytes = (snapshot: MarketSnapshot): Buffer => {
  const pieces = snapshotPieces(snapshot)
  let length = 0
  for (const piece of pieces) length += Buffer.byteLength(piece, "utf8")
  const bytes = Buffer.allocUnsafe(length)
  let at = 0
  for (const piece of pieces) at += bytes.write(piece, at)
  return bytes
}

/**
 * The `JsonText` of a snapshot, its bytes (`JsonText.bytes`), then its hash, computed when first read; its text only
 * when asked (the store asks for its bytes and its hash).
 */
const lazyText = (snapshot: MarketSnapshot): JsonText => {
  let text: string | undefined
  let bytes: Buffer | undefined
  let hash: string | undefined
  return {
    get text() {
      return (text ??= snapshotText(snapshot))
    },
    get bytes() {
      return (bytes ??= snapshotBytes(snapshot))
    },
    get hash() {
      return (hash ??= bytesHash(this.bytes!))
    }
  }
}

/** Snapshots marked by `knownJson`. */
const marked = new WeakSet<MarketSnapshot>()

/** Marks a snapshot `MarketData` built from its index as its own JSON, with its text to come. Returns it. */
export const knownJson = (snapshot: MarketSnapshot): MarketSnapshot => {
  marked.add(snapshot)
  rememberJsonText(snapshot, lazyText(snapshot))
  return encodedAsItself(MarketSnapshot, snapshot)
}

/** `derived` (built from `source`'s parts, as `sessionSoFar` does) marked as `knownJson` does when `source` is. */
export const knownJsonIf = (source: MarketSnapshot, derived: MarketSnapshot): MarketSnapshot =>
  marked.has(source) ? knownJson(derived) : derived
