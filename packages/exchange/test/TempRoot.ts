/**
 * The exchange tests' temporary directory, one per test run: vitest's global setup creates it in `/dev/shm` (memory)
 * where this machine has one this process can write in, else in the system's temporary directory, hands it to the
 * tests (`inject("exchangeTempRoot")`) and removes it, with every database the tests made in it, when the run ends.
 * The main process removes it, so a database of a worker that was killed, or of a test that did not clean up, goes
 * with it (a `process.on("exit")` in the worker left them behind).
 */
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's directory for the exchange tests' databases and homes (see `TempRoot.ts`). */
    readonly exchangeTempRoot: string
  }
}

const writableRoot = (): string => {
  try {
    accessSync("/dev/shm", constants.W_OK)
    return "/dev/shm"
  } catch {
    return tmpdir()
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(writableRoot(), "council-exchange-run-"))
  project.provide("exchangeTempRoot", root)
  return () => rmSync(root, { recursive: true, force: true })
}
