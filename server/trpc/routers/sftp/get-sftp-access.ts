import { procedure, signedIn } from "../../init";
import { getSftpAccess } from "../../../services/sftp/get-sftp-access";
import { getSftpAccessInput, getSftpAccessOutput } from "./get-sftp-access.schema";

export const getSftpAccessProcedure = procedure
  .meta({ access: "sftp.read" })
  .input(getSftpAccessInput)
  .output(getSftpAccessOutput)
  .query(({ ctx, input }) => getSftpAccess(signedIn(ctx).actor.scope, input));
