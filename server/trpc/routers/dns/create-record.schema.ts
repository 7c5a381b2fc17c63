import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";
import { recordFieldsInput } from "./dns.schema";

export const createRecordInput = recordFieldsInput.extend({ domainId: idSchema, accountId: accountIdSchema });
export const createRecordOutput = z.object({ id: z.string() });
