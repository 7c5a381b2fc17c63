import { z } from "zod";

// The body of every error an agent answers with, whatever the route. The control plane shows the
// message and, for a refused spec or route table, uses the issues' paths to leave out the objects
// they point at.

export const agentErrorCodeSchema = z.enum([
  "UNAUTHENTICATED",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "INVALID",
  "INVALID_SPEC",
  "INVALID_ROUTES",
  "INVALID_PROBE",
  "ALREADY_EXISTS",
  "CONFLICT",
  "INTERNAL",
]);
export type AgentErrorCode = z.infer<typeof agentErrorCodeSchema>;

/** One offending field, by its dotted path in the request ("sites.3.domains.0"). */
export const agentIssueSchema = z.object({ path: z.string(), message: z.string() });
export type AgentIssue = z.infer<typeof agentIssueSchema>;

export const agentErrorBodySchema = z.object({
  error: z.object({ code: agentErrorCodeSchema, message: z.string(), issues: z.array(agentIssueSchema).optional() }),
});
export type AgentErrorBody = z.infer<typeof agentErrorBodySchema>;
