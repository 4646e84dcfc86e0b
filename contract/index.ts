// The one contract module: every schema shared by edge/ and probe-agent/.
export * from "./monitor.ts";
export * from "./result.ts";
export * from "./time.ts";
export * from "./target.ts";
export * from "./issues.ts";
