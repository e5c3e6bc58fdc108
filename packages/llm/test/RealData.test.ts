import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { type AccountId, CouncilDecision, type MarketSnapshot, Pitch, TradingDay } from "@council/domain"
import { Chairman, PM_LOOKBACK_SESSIONS, PortfolioManagers } from "@council/llm"
import { LocalBars, MarketData } from "@council/market"

const isPitch = Schema.is(Pitch)

/** A PM's pitch; an offline stand-in always pitches. */
const pitchOf = (pms: PortfolioManagers["Service"], pm: AccountId, snapshot: MarketSnapshot) =>
  Effect.map(pms.pitch(pm, { snapshot, account: null }), (answer) => answer.pitch!)
const isDecision = Schema.is(CouncilDecision)

layer(Layer.mergeAll(LocalBars.layer(), PortfolioManagers.layerOffline, Chairman.layerOffline), { timeout: 60_000 })(
  "offline council on the real bars",
  (it) => {
    it.effect("every PM emits a valid, deterministic pitch on every 5th session since 2007", () =>
      Effect.gen(function*() {
        const md = yield* MarketData
        const pms = yield* PortfolioManagers
        const chairman = yield* Chairman
        const sessions = yield* md.sessions(TradingDay.make("2007-01-01"), TradingDay.make("2026-12-31"))
        const days = sessions.filter((_, i) => i % 5 === 0 || i === sessions.length - 1)
        let trades = 0
        for (const day of days) {
          const snapshot = yield* md.snapshot(day, PM_LOOKBACK_SESSIONS)
          const pitches = yield* Effect.forEach(pms.roster, (r) => pitchOf(pms, r.pm, snapshot))
          pitches.forEach((p, i) => {
            assert.isTrue(isPitch(p), `${day} ${JSON.stringify(p)}`)
            assert.strictEqual(p.source, pms.roster[i]!.model)
            assert.strictEqual(p.asOf, day)
            assert.isTrue(p.thesis.length >= 2 && p.thesis.length <= 4)
            assert.isTrue(p.symbol === "FLAT" || snapshot.universe.includes(p.symbol))
            assert.strictEqual(Math.sign(p.conviction), p.direction === "LONG" ? 1 : p.direction === "SHORT" ? -1 : 0)
          })
          const { decision } = yield* chairman.synthesize({ snapshot, pitches, abstentions: [], review: null })
          assert.isTrue(isDecision(decision), day)
          trades += decision!.trades.length
        }
        assert.isAbove(trades, 0)
        assert.isBelow(trades, days.length)
        const last = yield* md.snapshot(TradingDay.make("2026-06-08"), PM_LOOKBACK_SESSIONS)
        const again = yield* Effect.forEach(pms.roster, (r) => pitchOf(pms, r.pm, last))
        const twice = yield* Effect.forEach(pms.roster, (r) => pitchOf(pms, r.pm, last))
        assert.deepStrictEqual(again, twice)
      }))

    it.effect("the first session has too little history, so every PM is FLAT and so is the council", () =>
      Effect.gen(function*() {
        const md = yield* MarketData
        const pms = yield* PortfolioManagers
        const snapshot = yield* md.snapshot(TradingDay.make("2007-04-11"), PM_LOOKBACK_SESSIONS)
        const pitches = yield* Effect.forEach(pms.roster, (r) => pitchOf(pms, r.pm, snapshot))
        assert.deepStrictEqual(pitches.map((p) => p.direction), ["FLAT", "FLAT", "FLAT", "FLAT", "FLAT"])
        const { decision } = yield* Chairman.use((c) => c.synthesize({ snapshot, pitches, abstentions: [], review: null }))
        assert.deepStrictEqual(decision?.trades, [])
      }))
  }
)
