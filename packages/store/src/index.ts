/**
 * Persistence for Council: the database (`Database`), our `node:sqlite` driver (`NodeSqliteClient`), the
 * SQL `RunStore` (`SqlRunStore`) and the run lock (`RunLock`).
 *
 * @since 0.1.0
 */
export * as Blobs from "./Blobs.ts"
export * as ByteDelta from "./ByteDelta.ts"
export * as Database from "./Database.ts"
export * as MigrationsTable from "./MigrationsTable.ts"
export * as NodeSqliteClient from "./NodeSqliteClient.ts"
export * from "./RunLock.ts"
export * as SqlRunStore from "./SqlRunStore.ts"
export * as TextDelta from "./TextDelta.ts"
