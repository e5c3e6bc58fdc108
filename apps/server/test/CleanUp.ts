/**
 * The project's setup file (`vitest.config.ts`), run before each test file: after the file's tests (and its own
 * `afterAll`s, which stop what still runs in them), removes the homes they made (`apps/cli/test/CliHarness.ts`).
 */
import { afterAll } from "@effect/vitest"
import { removeTempHomes } from "../../cli/test/CliHarness.ts"

afterAll(removeTempHomes)
