import { z } from "zod";

export const nameserverStatusInput = z.object({
  resellerId: z.string().min(1).max(64).nullish(),
  /** Run the live NS lookup (it takes up to a couple of seconds). */
  check: z.boolean().default(false),
});

export const nameserverStatusOutput = z.object({
  own: z.boolean(),
  nameservers: z.array(z.string()),
  defaults: z.array(z.string()),
  glue: z.array(z.object({ name: z.string(), address: z.string().nullable() })),
  delegation: z.object({ zone: z.string(), live: z.boolean(), detail: z.string() }).nullable(),
});
