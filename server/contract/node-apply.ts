import { z } from "zod";
import { nodeSpecSchema } from "./node-spec";
import { routeTableSchema, routesAnswerSchema } from "./route-table";

// What a node answers when it is given its desired state: PUT /v1/spec (the spec alone) and
// PUT /v1/apply (spec and route table under one nginx reload). One result per step the converge
// took; none means the node was already converged.

/** The kinds of spec object a step can concern; ids are the spec's own (a site's, an account's, a database's). */
export const stepObjectKindSchema = z.enum(["site", "account", "database"]);
export type StepObjectKind = z.infer<typeof stepObjectKindSchema>;
export const stepObjectSchema = z.object({ kind: stepObjectKindSchema, id: z.string() });
export type StepObject = z.infer<typeof stepObjectSchema>;

export const stepResultSchema = z.union([
  z.object({ step: z.string(), kind: z.string(), ok: z.literal(true) }),
  z.object({
    step: z.string(),
    kind: z.string(),
    ok: z.literal(false),
    error: z.string(),
    /**
     * The spec objects the failed step concerns, so the control plane records the others as
     * converged. Empty: the step concerns the whole node (nginx, php-fpm, mariadbd). Absent: an
     * agent that does not say, which the control plane treats like empty.
     */
    objects: z.array(stepObjectSchema).optional(),
    /**
     * The step succeeded, yet observing the node right after it still asked for it: what it
     * wrote does not read back as written. Applying it again cannot help, so the control plane
     * holds the object (spec.held) instead of re-running the converge.
     */
    nonConvergent: z.literal(true).optional(),
  }),
]);
export type StepResult = z.infer<typeof stepResultSchema>;
export type FailedStepResult = Extract<StepResult, { ok: false }>;

export const specAnswerSchema = z.object({
  ok: z.boolean(),
  changes: z.number(),
  failed: z.number(),
  results: z.array(stepResultSchema),
});
export type SpecAnswer = z.infer<typeof specAnswerSchema>;

/**
 * PUT /v1/apply's body. The agent checks each half on its own so that an issue's path names the
 * half it is in ("spec.sites.0.id", "routes.routes.2.epoch").
 */
export const applyRequestSchema = z.object({ spec: nodeSpecSchema, routes: routeTableSchema });
export type ApplyRequest = z.input<typeof applyRequestSchema>;

/** routes.reloaded: whether nginx reloaded for the route table (or for the spec and it together). */
export const applyAnswerSchema = z.object({ spec: specAnswerSchema, routes: routesAnswerSchema });
export type ApplyAnswer = z.output<typeof applyAnswerSchema>;
