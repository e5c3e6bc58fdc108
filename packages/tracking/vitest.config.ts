import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "tracking", include: ["test/**/*.test.ts"] }
})
