/**
 * The project's setup file (`vitest.config.ts`), run before each test file: after the file's tests, removes the
 * temporary databases they made (`StoreFixture.ts`).
 */
import { afterAll } from "@effect/vitest"
import { removeTempDirs } from "./StoreFixture.ts"

afterAll(removeTempDirs)
