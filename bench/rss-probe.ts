// Preloaded into a benchmarked process: reports its peak RSS on exit to the file named by BENCH_RSS_FILE.
import { writeFileSync } from "node:fs"

const file = process.env["BENCH_RSS_FILE"]
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
