/**
 * Every schema migration, keyed `NNNN_name` for `Migrator.fromRecord`. Add a migration as a new file and a new
 * entry here; never edit one that has shipped. A new migration's number must be above every shipped one (the highest below):
 * the migrator runs only numbers above the highest a database has recorded, so a lower one is silently skipped on
 * every existing database. 0015 is such a case on purpose: it only reorders the ledger's keys, and databases past
 * 0021 keep the old order (tested in `TradeLedger.test.ts`).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import runStore from "./0001_run_store.ts"
import exchange from "./0002_exchange.ts"
import runOrigin from "./0003_run_origin.ts"
import llmSpend from "./0004_llm_spend.ts"
import ledger from "./0005_ledger.ts"
import schedules from "./0006_schedules.ts"
import contentAddressed from "./0008_content_addressed.ts"
import binaryBlobs from "./0009_binary_blobs.ts"
import exchangeLedgerLean from "./0010_exchange_ledger_lean.ts"
import runStoreLean from "./0011_run_store_lean.ts"
import ledgerLean from "./0012_ledger_lean.ts"
import exchangeLean from "./0013_exchange_lean.ts"
import ledgerFillsLean from "./0014_ledger_fills_lean.ts"
import ledgerSessionKeys from "./0015_ledger_session_keys.ts"
import llmSpendBook from "./0021_llm_spend_book.ts"
import ledgerMarks from "./0022_ledger_marks.ts"
import stageDigests from "./0030_stage_digests.ts"
import ledgerBookKeys from "./0031_ledger_book_keys.ts"
import ledgerCompact from "./0032_ledger_compact.ts"
import exchangeCorporateActions from "./0033_exchange_corporate_actions.ts"
import noticesSent from "./0036_notices_sent.ts"
import exchangeReplacements from "./0047_exchange_replacements.ts"
import exchangeAccountConfigurations from "./0049_exchange_account_configurations.ts"
import notionalOrders from "./0050_notional_orders.ts"
import trailingStops from "./0051_trailing_stops.ts"
import exchangeWatchlists from "./0055_exchange_watchlists.ts"
import doneForDayOpen from "./0062_done_for_day_open.ts"
import runLeasePidNamespace from "./0063_run_lease_pid_namespace.ts"

export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "0001_run_store": runStore,
  "0002_exchange": exchange,
  "0003_run_origin": runOrigin,
  "0004_llm_spend": llmSpend,
  "0005_ledger": ledger,
  "0006_schedules": schedules,
  "0008_content_addressed": contentAddressed,
  "0009_binary_blobs": binaryBlobs,
  "0010_exchange_ledger_lean": exchangeLedgerLean,
  "0011_run_store_lean": runStoreLean,
  "0012_ledger_lean": ledgerLean,
  "0013_exchange_lean": exchangeLean,
  "0014_ledger_fills_lean": ledgerFillsLean,
  "0015_ledger_session_keys": ledgerSessionKeys,
  "0021_llm_spend_book": llmSpendBook,
  "0022_ledger_marks": ledgerMarks,
  "0030_stage_digests": stageDigests,
  "0031_ledger_book_keys": ledgerBookKeys,
  "0032_ledger_compact": ledgerCompact,
  "0033_exchange_corporate_actions": exchangeCorporateActions,
  "0036_notices_sent": noticesSent,
  "0047_exchange_replacements": exchangeReplacements,
  "0049_exchange_account_configurations": exchangeAccountConfigurations,
  "0050_notional_orders": notionalOrders,
  "0051_trailing_stops": trailingStops,
  "0055_exchange_watchlists": exchangeWatchlists,
  "0062_done_for_day_open": doneForDayOpen,
  "0063_run_lease_pid_namespace": runLeasePidNamespace
}
