export * from "./RunStore.ts"
