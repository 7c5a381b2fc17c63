import { procedure, signedIn } from "../../init";
import { addSftpKey } from "../../../services/sftp/add-sftp-key";
import { addSftpKeyInput, addSftpKeyOutput } from "./add-sftp-key.schema";

export const addSftpKeyProcedure = procedure
  .meta({ access: "sftp.write" })
  .input(addSftpKeyInput)
  .output(addSftpKeyOutput)
  .mutation(({ ctx, input }) => addSftpKey(signedIn(ctx).actor, input));
