import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";
import { zoneRecordOutput } from "./dns.schema";

export const getZoneInput = z.object({ domainId: idSchema, accountId: accountIdSchema });
export const getZoneOutput = z.object({
  domain: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  nameservers: z.array(z.string()),
  records: z.array(zoneRecordOutput),
});
