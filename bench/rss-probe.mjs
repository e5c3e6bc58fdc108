// Preloaded (--import) into a benchmarked process to read its peak RSS: appends "<entry script> <maxRSS KiB>" to
// the file named by BENCH_RSS_FILE when the process exits. Plain JavaScript, so it loads no TypeScript stripper;
// wall-time runs are made without it.
import { appendFileSync } from "node:fs"

const file = process.env.BENCH_RSS_FILE
if (file) process.on("exit", () => appendFileSync(file, `${process.argv[1] ?? "-e"} ${process.resourceUsage().maxRSS}\n`))
