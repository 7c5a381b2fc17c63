import { z } from "zod";
import { idSchema } from "../operation/operation.schema";

/** nodeId null unpins. */
export const pinSiteInput = z.object({ id: idSchema, nodeId: idSchema.nullable() });
export const pinSiteOutput = z.object({
  id: z.string(),
  pinnedNodeId: z.string().nullable(),
  pinnedNodeName: z.string().nullable(),
  liveNodeName: z.string().nullable(),
});
