import { z } from "zod";
import { maxZoneFileBytes } from "../../../domain/dns-record/zone-file";
import { accountIdSchema, idSchema } from "../operation/operation.schema";

export const importZoneInput = z.object({
  domainId: idSchema,
  accountId: accountIdSchema,
  text: z.string().min(1, "Paste a zone file.").max(maxZoneFileBytes, `A zone file can be at most ${maxZoneFileBytes / 1024} KB.`),
  replace: z.boolean().default(false),
});
export const importZoneOutput = z.object({
  created: z.number().int(),
  deleted: z.number().int(),
  skipped: z.array(z.object({ line: z.number().int(), type: z.string(), reason: z.string() })),
});
