import os from "node:os";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

// One JSON line per event on stdout, in every process (panel, control worker, agent with its
// edge): `component` says which kind of process wrote it, and `operationId`, `siteId`, `nodeId`
// are fields, so a log store can follow one operation, site or node across processes.
// SHOAL_LOG_PRETTY=1 (npm start sets it) prints the same events human-readable instead; it is
// formatted in-process and synchronously, not in a transport thread, so it works from the
// agent's bundle and nothing is lost when a process exits right after logging.

export type LogFields = { operationId?: string; siteId?: string; nodeId?: string; [k: string]: unknown };
/** What the workers pass around; a plain `(line: string) => void` is assignable to it. */
export type Log = (msg: string, fields?: LogFields) => void;
export type { Logger };

export type Component = "panel" | "control" | "agent" | "edge";

const levels = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

export type LoggerOptions = {
  /** Overrides SHOAL_LOG_PRETTY. */
  pretty?: boolean;
  /** Overrides SHOAL_LOG_LEVEL (default "info"). */
  level?: string;
  /** Where the lines go instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
};

export function createLogger(component: Component, options: LoggerOptions = {}): Logger {
  const wanted = options.level ?? process.env.SHOAL_LOG_LEVEL ?? "info";
  const config: pino.LoggerOptions = {
    level: levels.has(wanted) ? wanted : "info",
    base: { component, pid: process.pid, hostname: os.hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The message stays under "msg": existing readers match on its text.
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.pretty ?? process.env.SHOAL_LOG_PRETTY === "1") {
    return pino(config, pretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,component", messageFormat: "[{component}] {msg}", destination: options.destination ?? 1 }));
  }
  return pino(config, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** The logger as the `log(line)` function the workers take; each call is one event at `level`. */
export function toLog(logger: Logger, level: "info" | "warn" | "error" = "info"): Log {
  return (msg, fields) => {
    if (fields) logger[level](fields, msg);
    else logger[level](msg);
  };
}

/** An error's message for a log line, and the error itself as a field (pino keeps its stack). */
export function errorFields(e: unknown): { err: unknown } {
  return { err: e instanceof Error ? e : new Error(String(e)) };
}

const globalForLogger = globalThis as unknown as { shoalLoggers?: Map<Component, Logger> };

/**
 * The process's logger for `component`, made once: for code deep in a worker that is not handed
 * a log (Next may evaluate server modules more than once, hence the global).
 */
export function processLogger(component: Component): Logger {
  const loggers = (globalForLogger.shoalLoggers ??= new Map<Component, Logger>());
  let logger = loggers.get(component);
  if (!logger) loggers.set(component, (logger = createLogger(component)));
  return logger;
}

/** The panel's logger. */
export const panelLogger = (): Logger => processLogger("panel");
