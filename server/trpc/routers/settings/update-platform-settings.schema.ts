import { z } from "zod";
import { egressAllowSchema, platformBoundsSchema, platformSettingsOutput } from "./platform-settings.schema";

export const updatePlatformSettingsInput = z.object({ bounds: platformBoundsSchema, egressAllow: egressAllowSchema });
export const updatePlatformSettingsOutput = platformSettingsOutput;
