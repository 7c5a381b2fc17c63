import { z } from "zod";

export const databaseOutput = z.object({
  id: z.string(),
  name: z.string(),
  pending: z.boolean(),
  createdAt: z.date(),
  users: z.array(z.object({ id: z.string(), username: z.string() })),
  /** The site whose app install created it, while that site lives. */
  site: z.object({ id: z.string(), domain: z.object({ name: z.string(), displayName: z.string() }) }).nullable(),
});
