export * as Approvals from "./Approvals.ts"
export * as Auth from "./Auth.ts"
export * as Server from "./Server.ts"
export * as BacktestLauncher from "./BacktestLauncher.ts"
