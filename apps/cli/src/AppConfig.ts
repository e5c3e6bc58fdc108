/** The version recorded with every run. */
export const codeVersion = "0.1.0"
