import { z } from "zod";
import { passwordSchema } from "../../../auth/password";
import { accountIdSchema } from "../operation/operation.schema";

/** null removes the password (keys only). The panel's own password rules apply. */
export const setSftpPasswordInput = z.object({ accountId: accountIdSchema, password: passwordSchema.nullable() });
export const setSftpPasswordOutput = z.object({ passwordSetAt: z.date().nullable() });
