import { procedure, signedIn } from "../../init";
import { deleteSftpKey } from "../../../services/sftp/delete-sftp-key";
import { deleteSftpKeyInput, deleteSftpKeyOutput } from "./delete-sftp-key.schema";

export const deleteSftpKeyProcedure = procedure
  .meta({ access: "sftp.write" })
  .input(deleteSftpKeyInput)
  .output(deleteSftpKeyOutput)
  .mutation(({ ctx, input }) => deleteSftpKey(signedIn(ctx).actor, input));
