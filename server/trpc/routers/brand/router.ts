import { router } from "../../init";
import { getBrandProcedure } from "./get-brand";
import { nameserverStatusProcedure } from "./nameserver-status";
import { removeLogoProcedure } from "./remove-logo";
import { updateBrandProcedure } from "./update-brand";
import { uploadLogoProcedure } from "./upload-logo";

export const brandRouter = router({
  get: getBrandProcedure,
  nameserverStatus: nameserverStatusProcedure,
  update: updateBrandProcedure,
  uploadLogo: uploadLogoProcedure,
  removeLogo: removeLogoProcedure,
});
