import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "exchange", include: ["test/**/*.test.ts"], globalSetup: ["test/TempRoot.ts"] }
})
