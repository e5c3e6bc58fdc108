import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "broker", include: ["test/**/*.test.ts"] }
})
