/**
 * `run_leases.pid_namespace`: the PID namespace of the lease's holder (`/proc/self/ns/pid`, `pid:[4026531836]`;
 * NULL where there is none to read, and in the rows of versions before it). A holder on this host name is judged
 * dead by its pid only from the same namespace: two containers given the same host name and sharing a home each
 * number their processes alike, so the other's pid, absent here, said nothing of its holder (`RunLock.isStale`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE run_leases ADD COLUMN pid_namespace TEXT`)
})
