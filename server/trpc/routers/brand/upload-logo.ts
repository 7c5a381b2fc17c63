import { uploadBrandLogo } from "../../../services/brand/upload-brand-logo";
import { procedure, signedIn } from "../../init";
import { uploadLogoInput, uploadLogoOutput } from "./upload-logo.schema";

export const uploadLogoProcedure = procedure
  .meta({ access: "brand.write" })
  .input(uploadLogoInput)
  .output(uploadLogoOutput)
  .mutation(({ ctx, input }) =>
    uploadBrandLogo(signedIn(ctx).actor, { resellerId: input.resellerId, logoBase64: input.logo }),
  );
