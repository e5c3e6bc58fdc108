/**
 * Canonical JSON (sorted object keys) and content hashes of it.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/** JSON with object keys sorted, so equal values give equal text. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v) ?? "null"

/** A short SHA-256 of the canonical JSON of `value`. */
export const hashOf = (value: unknown): string =>
  createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, 32)
