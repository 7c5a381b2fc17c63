import { z } from "zod";
import { accountIdSchema, idSchema } from "../operation/operation.schema";

export const deleteSftpKeyInput = z.object({ accountId: accountIdSchema, id: idSchema });
export const deleteSftpKeyOutput = z.object({ id: z.string() });
