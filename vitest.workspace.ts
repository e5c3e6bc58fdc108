/** The vitest project list: every package, pipeline and app that has tests. */
export const projects = ["packages/*", "pipelines/*", "apps/*"]
