import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

export default defineProject({
  test: { ...shared, name: "cli", include: ["test/**/*.test.ts"], setupFiles: ["test/CleanUp.ts"], testTimeout: 120_000, hookTimeout: 120_000 }
})
