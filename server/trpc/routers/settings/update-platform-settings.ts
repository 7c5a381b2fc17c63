import { procedure, signedIn } from "../../init";
import { updatePlatformSettings } from "../../../services/settings/update-platform-settings";
import { updatePlatformSettingsInput, updatePlatformSettingsOutput } from "./update-platform-settings.schema";

export const updatePlatformSettingsProcedure = procedure
  .meta({ access: "settings.write" })
  .input(updatePlatformSettingsInput)
  .output(updatePlatformSettingsOutput)
  .mutation(({ ctx, input }) => updatePlatformSettings(signedIn(ctx).actor, input));
