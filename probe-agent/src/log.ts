// JSON logs with pino, one object per event, in the edge's shape: `ts`, `level` (a name), `msg`, then context.
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export function createLogger(level: LogLevel = "info", destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "probe-agent" },
    messageKey: "msg",
    timestamp: () => `,"ts":"${new Date().toISOString()}"`,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything: the default for library use and quiet tests. */
export const silentLogger = (): Logger => pino({ level: "silent" });

/** An error as log context: its message (and code, when it has one), without the stack for expected failures. */
export function errorContext(e: unknown): { error: string; code?: string } {
  if (e instanceof Error) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const code = (e as { code?: string }).code ?? cause?.code;
    const message = cause?.message && cause.message !== e.message ? `${e.message}: ${cause.message}` : e.message;
    return code ? { error: message, code } : { error: message };
  }
  return { error: String(e) };
}
