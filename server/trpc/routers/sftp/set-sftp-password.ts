import { procedure, signedIn } from "../../init";
import { setSftpPassword } from "../../../services/sftp/set-sftp-password";
import { setSftpPasswordInput, setSftpPasswordOutput } from "./set-sftp-password.schema";

export const setSftpPasswordProcedure = procedure
  .meta({ access: "sftp.write" })
  .input(setSftpPasswordInput)
  .output(setSftpPasswordOutput)
  .mutation(({ ctx, input }) => setSftpPassword(signedIn(ctx).actor, input));
