import { z } from "zod";
import { platformSettingsOutput } from "./platform-settings.schema";

export const getPlatformSettingsInput = z.void();
export const getPlatformSettingsOutput = platformSettingsOutput;
