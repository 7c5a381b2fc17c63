import { z } from "zod";
import { accountIdSchema } from "../operation/operation.schema";
import { sftpKeyOutput } from "./sftp.schema";

export const getSftpAccessInput = z.object({ accountId: accountIdSchema });
export const getSftpAccessOutput = z.object({
  accountId: z.string(),
  username: z.string(),
  enabled: z.boolean(),
  passwordSetAt: z.date().nullable(),
  keys: z.array(sftpKeyOutput),
  servers: z.array(z.object({ address: z.string(), port: z.number().int() })),
});
