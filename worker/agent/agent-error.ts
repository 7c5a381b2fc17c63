import type { z } from "zod";
import type { AgentErrorCode, AgentIssue } from "../../server/contract/agent-error";

/** Every refusal the agent answers with: its HTTP status and the error body's code and issues. */
export class AgentError extends Error {
  constructor(
    readonly status: number,
    readonly code: AgentErrorCode,
    message: string,
    readonly issues?: AgentIssue[],
  ) {
    super(message);
    this.name = "AgentError";
  }
}

/** A zod error's issues as the error body carries them; `top` names the path of the value itself. */
export function issuesOf(error: z.ZodError, top = ""): AgentIssue[] {
  return error.issues.map((i) => ({ path: i.path.join(".") || top, message: i.message }));
}

/** `value` checked by `schema`, or a 422 that names every offending field. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, code: AgentErrorCode, message: string, top = ""): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AgentError(422, code, message, issuesOf(parsed.error, top));
  return parsed.data;
}
