import { z } from "zod";

export const sftpKeyOutput = z.object({
  id: z.string(),
  name: z.string(),
  algorithm: z.string(),
  fingerprint: z.string(),
  createdAt: z.date(),
});
