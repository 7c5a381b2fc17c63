import { router } from "../../init";
import { getBrandProcedure } from "./get-brand";
import { removeLogoProcedure } from "./remove-logo";
import { updateBrandProcedure } from "./update-brand";
import { uploadLogoProcedure } from "./upload-logo";

export const brandRouter = router({
  get: getBrandProcedure,
  update: updateBrandProcedure,
  uploadLogo: uploadLogoProcedure,
  removeLogo: removeLogoProcedure,
});
