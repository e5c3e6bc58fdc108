import { defineProject } from "vitest/config"
import { shared } from "../../vitest.shared.ts"

// 30 s: a few tests write and read tens of MB of checkpoints (~2 s alone, over 6 s beside other suites on a loaded
// machine); the limit is there to end a hang, not to time them
export default defineProject({
  test: { ...shared, name: "store", include: ["test/**/*.test.ts"], setupFiles: ["test/CleanUp.ts"], testTimeout: 30_000 }
})
