export * from "./MonitorApi.ts"
