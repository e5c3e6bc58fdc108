/**
 * The run store and its database: all that `runs`, `show`, `export` and `import` need (a module of its own so
 * those commands load nothing else of the composition root).
 */
import { SqlRunStore } from "@council/store"

export const storage = SqlRunStore.layerConfig
