import { router } from "../../init";
import { getPlatformSettingsProcedure } from "./get-platform-settings";
import { updatePlatformSettingsProcedure } from "./update-platform-settings";

export const settingsRouter = router({
  get: getPlatformSettingsProcedure,
  update: updatePlatformSettingsProcedure,
});
