import { z } from "zod";
import { safeText } from "../../../domain/safe-text";
import { panelHostnamesSchema, resellerOutput } from "./create-reseller.schema";

export const updateResellerInput = z.object({
  id: z.string().min(1).max(64),
  name: safeText(100),
  hostnames: panelHostnamesSchema,
});
export const updateResellerOutput = resellerOutput;
