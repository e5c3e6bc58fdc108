/**
 * The portfolio managers: who they are (the roster) and the pitch each makes for a market snapshot.
 *
 * **When to use**: the pitch stage asks every roster entry for a pitch and turns a `PmError` into an
 * `Abstention`. `layerOffline` is the keyless default: five deterministic rule-based stand-ins (see
 * `OfflineRules`), one style per PM. LLM-backed layers provide the same service.
 *
 * **Gotchas**
 * - Snapshots should carry `PM_LOOKBACK_SESSIONS` sessions; with less history the offline rules go FLAT.
 * - Asking for a PM that is not on the roster fails with `PmError` reason `UnknownPm`.
 * - `layerTest` scripts some PMs (a fixed pitch, an error, or a function of the snapshot) and plays the offline
 *   rule for the rest.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { AccountId, PM_NAMES } from "@council/domain"
import type { MarketSnapshot, Pitch } from "@council/domain"
import { OFFLINE_STYLES, offlinePitch, offlineSource } from "./OfflineRules.ts"
import type { OfflineStyle } from "./OfflineRules.ts"

export { PM_LOOKBACK_SESSIONS } from "./OfflineRules.ts"

export const PmErrorReason = Schema.Literals(["UnknownPm", "Unavailable", "Timeout", "RateLimited", "InvalidResponse"])
export type PmErrorReason = typeof PmErrorReason.Type

export class PmError extends Schema.TaggedError<PmError>()("PmError", {
  pm: AccountId,
  reason: PmErrorReason,
  message: Schema.String
}) {}

export const RosterEntry = Schema.Struct({
  pm: AccountId,
  /** e.g. `offline:momentum` or `openai:gpt-5.4`. */
  model: Schema.String,
  /** True when no LLM is called. */
  offline: Schema.Boolean
})
export type RosterEntry = typeof RosterEntry.Type

/** What `layerTest` answers for a scripted PM. */
export type ScriptedPitch =
  | Pitch
  | PmError
  | ((snapshot: MarketSnapshot) => Effect.Effect<Pitch, PmError>)

const offlineEntries: ReadonlyArray<{ readonly entry: RosterEntry; readonly style: OfflineStyle }> = PM_NAMES.map(
  (name) => {
    const style = OFFLINE_STYLES[name]
    return { entry: { pm: AccountId.make(name), model: offlineSource(style), offline: true }, style }
  }
)

const unknownPm = (pm: AccountId, roster: ReadonlyArray<RosterEntry>) =>
  new PmError({
    pm,
    reason: "UnknownPm",
    message: `${pm} is not on the roster (${roster.map((r) => r.pm).join(", ")})`
  })

export class PortfolioManagers extends Context.Service<PortfolioManagers, {
  readonly roster: ReadonlyArray<RosterEntry>
  readonly pitch: (pm: AccountId, snapshot: MarketSnapshot) => Effect.Effect<Pitch, PmError>
}>()("@council/llm/PortfolioManagers") {
  /** The five default PMs, each a deterministic rule (`offline:<style>`). */
  static readonly layerOffline: Layer.Layer<PortfolioManagers> = Layer.succeed(
    PortfolioManagers,
    PortfolioManagers.of({
      roster: offlineEntries.map((e) => e.entry),
      pitch: Effect.fn("PortfolioManagers.pitch")(function*(pm: AccountId, snapshot: MarketSnapshot) {
        const found = offlineEntries.find((e) => e.entry.pm === pm)
        if (found === undefined) return yield* unknownPm(pm, offlineEntries.map((e) => e.entry))
        return offlinePitch(pm, found.style, snapshot)
      })
    })
  )

  /**
   * The default roster with some PMs scripted: `script[pm]` is returned (a pitch), failed with (a `PmError`) or
   * called (a function). Unscripted PMs play their offline rule. Scripted entries have model `test:scripted` and
   * `offline: false`; scripted names outside the default five are appended to the roster.
   */
  static readonly layerTest = (script: Readonly<Record<string, ScriptedPitch>> = {}): Layer.Layer<PortfolioManagers> => {
    const defaults: ReadonlyArray<string> = offlineEntries.map((e) => e.entry.pm)
    const roster: ReadonlyArray<RosterEntry> = [
      ...offlineEntries.map(({ entry }) =>
        script[entry.pm] === undefined ? entry : { pm: entry.pm, model: "test:scripted", offline: false }
      ),
      ...Object.keys(script).filter((pm) => !defaults.includes(pm)).map((pm) => ({
        pm: AccountId.make(pm),
        model: "test:scripted",
        offline: false
      }))
    ]
    return Layer.succeed(
      PortfolioManagers,
      PortfolioManagers.of({
        roster,
        pitch: Effect.fn("PortfolioManagers.pitch")(function*(pm: AccountId, snapshot: MarketSnapshot) {
          const scripted = script[pm]
          if (scripted === undefined) {
            const found = offlineEntries.find((e) => e.entry.pm === pm)
            if (found === undefined) return yield* unknownPm(pm, roster)
            return offlinePitch(pm, found.style, snapshot)
          }
          if (typeof scripted === "function") return yield* scripted(snapshot)
          if (scripted instanceof PmError) return yield* scripted
          return scripted
        })
      })
    )
  }
}
