import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";

export const exportZoneInput = z.object({ domainId: idSchema, accountId: accountIdSchema });
export const exportZoneOutput = z.object({ filename: z.string(), text: z.string() });
