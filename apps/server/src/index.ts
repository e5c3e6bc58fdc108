export * as Auth from "./Auth.ts"
export * as Server from "./Server.ts"
