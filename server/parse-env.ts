import { z } from "zod";
import { processLogger, type Component } from "./observability/logger";

// Every process (panel, control worker, agent) checks its environment with its own schema through
// this one function, so a bad variable reads the same wherever it is: the process, then each
// variable with what is wrong with it.

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvError";
  }
}

/** "The <what> is invalid:" and one indented line per issue, the variable first. */
export function describeIssues(what: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
  return `The ${what} is invalid:\n${lines.join("\n")}`;
}

/** The parsed environment, or an EnvError naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, processName: string, source: Readonly<Record<string, string | undefined>> = process.env): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) throw new EnvError(describeIssues(`${processName}'s environment`, parsed.error));
  return parsed.data;
}

/**
 * For a worker's entry point: a bad environment is one fatal line in the process's log (pino,
 * component `component`; written synchronously, so it is there before the exit) and the process
 * exits 1.
 */
export function loadEnvOrExit<S extends z.ZodType>(schema: S, processName: string, component: Component): z.infer<S> {
  try {
    return parseEnv(schema, processName);
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
    processLogger(component).fatal(e.message);
    process.exit(1);
  }
}

/** Variables more than one process reads, spelled once. */
export const sharedEnv = {
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  REDIS_URL: z.url({ protocol: /^redis$/ }).default("redis://127.0.0.1:6379"),
  /** The control workers' queue prefix: the panel asks them on these queues. */
  SHOAL_QUEUE_PREFIX: z.string().regex(/^[a-z0-9_-]{1,60}$/i).default("shoal"),
};
