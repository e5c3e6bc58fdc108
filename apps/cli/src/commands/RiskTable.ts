import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionReport, RiskVerdict, type RuleNumbers } from "@council/domain"
import type { RunBundle } from "@council/engine"
import { table, usd } from "../Table.ts"

/** One decision of the risk gate or the safety broker that kept an order from going out as pitched. */
export interface RiskRow {
  readonly account: string
  /** `rejected` and `clamped` by the gate, `refused` by the safety broker at the broker's door. */
  readonly kind: "rejected" | "clamped" | "refused"
  readonly symbol: string
  readonly rule: string
  readonly numbers?: RuleNumbers
  /** Shares asked for and allowed (a clamp). */
  readonly requested?: number
  readonly allowed?: number
  readonly detail: string
}

/** The accounts of a daily run's parameters, in their order. */
const RunAccounts = Schema.Struct({ accounts: Schema.Array(Schema.Struct({ id: Schema.String })) })

const checkpoint = <S extends Schema.Top & { readonly DecodingServices: never }>(bundle: RunBundle, stage: string, schema: S) =>
  Schema.decodeUnknownOption(Schema.toCodecJson(schema))(bundle.checkpoints.find((c) => c.stage === stage)?.output)

/** Every rejection, clamp and safety refusal of a run, in the order of its accounts. */
export const riskRows = (bundle: RunBundle): ReadonlyArray<RiskRow> => {
  const verdict = checkpoint(bundle, "RiskApproval", RiskVerdict)
  const report = checkpoint(bundle, "Execution", ExecutionReport)
  const rows: Array<RiskRow> = []
  if (Option.isSome(verdict)) {
    for (const r of verdict.value.rejections) {
      rows.push({ account: r.account, kind: "rejected", symbol: r.symbol, rule: r.rule, ...(r.numbers ? { numbers: r.numbers } : {}), detail: r.detail })
    }
    for (const c of verdict.value.clamps) {
      rows.push({ account: c.account, kind: "clamped", symbol: c.symbol, rule: c.rule, ...(c.numbers ? { numbers: c.numbers } : {}), requested: c.requested, allowed: c.allowed, detail: c.detail })
    }
  }
  if (Option.isSome(report)) {
    for (const a of report.value.accounts) {
      for (const f of a.failures) {
        if (f.reason === "SafetyRefused") rows.push({ account: a.account, kind: "refused", symbol: f.symbol, rule: f.rule ?? "safety", detail: f.error })
      }
    }
  }
  const configured = Option.match(Schema.decodeUnknownOption(RunAccounts)(bundle.run.params), { onNone: () => [], onSome: (p) => p.accounts.map((a) => a.id) })
  const order = [...new Set([...configured, ...rows.map((r) => r.account)])]
  return rows.sort((a, b) => order.indexOf(a.account) - order.indexOf(b.account))
}

const measure = (value: number, unit: RuleNumbers["unit"]) =>
  unit === "usd" ? usd(value) : unit === "percent" ? `${Number(value.toFixed(2))}%` : `${Number(value.toFixed(4))} ${unit}`

/** `$6,000.00 > $5,000.00`: what the rule measured against its limit. */
export const numbersText = (row: RiskRow): string => {
  const n = row.numbers
  const limit = n === undefined ? "" : `${measure(n.value, n.unit)} ${n.value > n.limit ? ">" : n.value === n.limit ? "=" : "<"} ${measure(n.limit, n.unit)}`
  const shares = row.requested === undefined ? "" : `${row.requested} → ${row.allowed} sh`
  return [limit, shares].filter((s) => s !== "").join(" · ")
}

/** The rows as one table per account, or a line saying nothing was held back. */
export const riskTables = (rows: ReadonlyArray<RiskRow>): string => {
  if (rows.length === 0) return "risk: every order went out as the gate sized it (no rejection, clamp or safety refusal)"
  const accounts = [...new Set(rows.map((r) => r.account))]
  return accounts.map((account) => {
    const mine = rows.filter((r) => r.account === account)
    const count = (kind: RiskRow["kind"]) => mine.filter((r) => r.kind === kind).length
    const head = `risk · ${account}: ${count("rejected")} rejected, ${count("clamped")} clamped, ${count("refused")} refused by the safety broker`
    return `${head}\n${table(["KIND", "SYMBOL", "RULE", "NUMBERS", "DETAIL"], mine.map((r) => [r.kind, r.symbol, r.rule, numbersText(r), r.detail]))}`
  }).join("\n\n")
}
