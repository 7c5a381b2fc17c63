import { router } from "../../init";
import { addSftpKeyProcedure } from "./add-sftp-key";
import { deleteSftpKeyProcedure } from "./delete-sftp-key";
import { getSftpAccessProcedure } from "./get-sftp-access";
import { setSftpPasswordProcedure } from "./set-sftp-password";

export const sftpRouter = router({
  get: getSftpAccessProcedure,
  setPassword: setSftpPasswordProcedure,
  addKey: addSftpKeyProcedure,
  deleteKey: deleteSftpKeyProcedure,
});
