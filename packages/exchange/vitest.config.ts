import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

export default defineProject({
  test: { ...shared, name: "exchange", include: ["test/**/*.test.ts"], globalSetup: ["test/TempRoot.ts"] }
})
