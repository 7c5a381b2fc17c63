import { procedure } from "../../init";
import { getPlatformSettings } from "../../../services/settings/get-platform-settings";
import { getPlatformSettingsInput, getPlatformSettingsOutput } from "./get-platform-settings.schema";

export const getPlatformSettingsProcedure = procedure
  .meta({ access: "settings.read" })
  .input(getPlatformSettingsInput)
  .output(getPlatformSettingsOutput)
  .query(() => getPlatformSettings());
