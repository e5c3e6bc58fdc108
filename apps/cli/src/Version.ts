/** The version recorded with every run and printed by `--version`. */
export const codeVersion = "0.1.0"
