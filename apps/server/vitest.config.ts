import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

export default defineProject({
  test: { ...shared, name: "server", include: ["test/**/*.test.ts"], setupFiles: ["test/CleanUp.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
