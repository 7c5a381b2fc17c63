import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";
import { recordFieldsInput } from "./dns.schema";

export const updateRecordInput = recordFieldsInput.extend({ id: idSchema, accountId: accountIdSchema });
export const updateRecordOutput = z.object({ id: z.string() });
