/**
 * Test options every project's `vitest.config.ts` spreads into its own (a project started from a config file of its
 * own does not inherit the root config's test options).
 *
 * - `isolate: false`: a worker runs file after file with the modules it already loaded (Effect, the packages' own
 *   TypeScript) instead of a fresh process per file, which spent most of a small file's time importing. Files share
 *   a process, so a file that changes what is global to it (`process.env`, a helper module's arrays) sets it back.
 * - `maxWorkers`: one worker per core. Vitest's default on a run keeps a core for itself (a single worker on two
 *   cores), but most files mostly wait: on the processes, servers and Chromium they start, which run beside the
 *   worker. Every project gives the same number (projects that differ must not share a `sequence.groupOrder`).
 */
export const shared = { isolate: false, maxWorkers: "100%" } as const
