export * from "./Notifier.ts"
