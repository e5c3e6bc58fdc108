import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

export default defineProject({
  test: { ...shared, name: "tracking", include: ["test/**/*.test.ts"], setupFiles: ["test/CleanUp.ts"] }
})
