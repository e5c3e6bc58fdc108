import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

export default defineProject({
  test: { ...shared, name: "domain", include: ["test/**/*.test.ts"] }
})
