import { z } from "zod";
import { MAX_PUBLIC_KEY_LENGTH } from "../../../domain/ssh-public-key";
import { accountIdSchema } from "../operation/operation.schema";
import { sftpKeyOutput } from "./sftp.schema";

// The key's grammar is checked by the service (parseSshPublicKey), so its message lands next to
// the field; here only the size is bounded.
export const addSftpKeyInput = z.object({
  accountId: accountIdSchema,
  name: z.string().max(100, "Use at most 100 characters.").nullish(),
  publicKey: z.string().max(MAX_PUBLIC_KEY_LENGTH, "This is too long to be one public key."),
});
export const addSftpKeyOutput = sftpKeyOutput;
