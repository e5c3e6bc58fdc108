import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "daily", include: ["test/**/*.test.ts"] }
})
