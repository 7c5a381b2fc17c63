import { z } from "zod";
import { egressAllowSchema, nameserverListSchema, platformBoundsSchema, platformSettingsOutput } from "./platform-settings.schema";

export const updatePlatformSettingsInput = z.object({
  bounds: platformBoundsSchema,
  egressAllow: egressAllowSchema,
  defaultNameservers: nameserverListSchema("to set no default").optional(),
});
export const updatePlatformSettingsOutput = platformSettingsOutput;
