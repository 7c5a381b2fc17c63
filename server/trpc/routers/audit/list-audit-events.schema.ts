import { z } from "zod";

export const listAuditEventsInput = z
  .object({
    cursor: z.string().max(500).nullish(),
    limit: z.number().int().min(1).max(100).default(50),
    action: z.string().trim().max(100).optional(),
    /** Match `action` as a prefix ("customer." finds every customer action). */
    actionPrefix: z.boolean().default(false),
    actorEmail: z.string().trim().max(254).optional(),
    targetType: z.string().trim().max(50).optional(),
    from: z.date().optional(),
    to: z.date().optional(),
    impersonatedOnly: z.boolean().default(false),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { path: ["to"], message: "Must not be before the start date." });

export const listAuditEventsOutput = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      createdAt: z.date(),
      action: z.string(),
      targetType: z.string(),
      targetId: z.string(),
      actorId: z.string().nullable(),
      actorEmail: z.string().nullable(),
      impersonatorEmail: z.string().nullable(),
      ip: z.string().nullable(),
      // Short summaries written by recordChange (server-side, never client input); the page renders
      // them as key/value pairs.
      before: z.unknown(),
      after: z.unknown(),
      reseller: z.object({ id: z.string(), name: z.string() }),
    }),
  ),
  nextCursor: z.string().nullable(),
});
