import { isIPv4 } from "node:net";
import { z } from "zod";

// POST /v1/probe: can this node reach another node's front door? The control plane asks the other
// nodes when it has lost one node's heartbeat, before it declares that node dead.

export const probeRequestSchema = z.strictObject({
  address: z.string().refine(isIPv4, "Must be an IPv4 address."),
  port: z.number().int().min(1, "Must be a port from 1 to 65535.").max(65535, "Must be a port from 1 to 65535."),
  timeoutMs: z.number().int().min(50, "At least 50 ms.").max(10_000, "At most 10 s.").default(1_000),
});
export type ProbeRequest = z.infer<typeof probeRequestSchema>;
export type ProbeRequestBody = z.input<typeof probeRequestSchema>;

/** status: the HTTP status the front door answered with; null when it did not answer (error says why). */
export const probeAnswerSchema = z.object({ reachable: z.boolean(), ms: z.number().min(0), status: z.number().int().nullable(), error: z.string().nullable() });
export type ProbeAnswer = z.infer<typeof probeAnswerSchema>;
