import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { gunzipSync } from "node:zlib"
import { tempHome } from "./CliHarness.ts"

/**
 * A home an older version made, written out in a new throwaway home as that version left it: the fixture directory's
 * `council.sql.gz` and `backtests/*.sql.gz` (`sqlite3 … .dump | gzip`) restored as `council.db` and
 * `backtests/*.db` (mode 600). Used by the upgrade tests (`UpgradeInPlace.test.ts`, `UpgradeRound33.test.ts`).
 */
export const restoredHome = (fixture: string): string => {
  const home = tempHome()
  mkdirSync(join(home, "backtests"), { mode: 0o700 })
  const restore = (dump: string, file: string) => {
    const db = new DatabaseSync(file)
    try {
      db.exec(gunzipSync(readFileSync(join(fixture, dump))).toString("utf8"))
    } finally {
      db.close()
    }
    // as Council keeps its files (`PrivateFile`): a file others may read is warned of and made private
    chmodSync(file, 0o600)
  }
  restore("council.sql.gz", join(home, "council.db"))
  for (const dump of readdirSync(join(fixture, "backtests"))) {
    restore(join("backtests", dump), join(home, "backtests", dump.replace(/\.sql\.gz$/, ".db")))
  }
  return home
}
