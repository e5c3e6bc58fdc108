/**
 * The project's setup file (`vitest.config.ts`), run before each test file: after the file's tests, removes the
 * temporary databases they made (`LedgerFixture.ts`).
 */
import { afterAll } from "@effect/vitest"
import { removeTempDirs } from "./LedgerFixture.ts"

afterAll(removeTempDirs)
