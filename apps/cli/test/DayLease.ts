import { spawn } from "node:child_process"
import { hostname } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"

/**
 * `day`'s lease in `home`'s store held by a live process of this host, as another `run daily` of that day (or one
 * killed mid-way) leaves it: its lease names no run yet. `release` kills the holder.
 */
export const holdDayLease = (home: string, day: string) => {
  const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"])
  const db = new DatabaseSync(join(home, "council.db"))
  db.prepare(`INSERT INTO run_leases (lock_key, owner, run_id, host, pid, command, acquired_at_ms, heartbeat_at_ms, expires_at_ms)
    VALUES (?, 'another', NULL, ?, ?, ?, ?, ?, ?)`).run(`daily:${day}`, hostname(), holder.pid!, `run daily ${day}`, Date.now(), Date.now(), Date.now() + 60_000)
  db.close()
  return {
    pid: holder.pid!,
    release: async () => {
      holder.kill("SIGKILL")
      await new Promise((resolve) => holder.once("exit", resolve))
    }
  }
}
