import { z } from "zod";
import { pageInputSchema } from "../../../services/pagination";
import { nodeOutput, nodeStatusSchema } from "./register-node.schema";

export const listNodesInput = pageInputSchema.extend({ sort: z.enum(["name", "createdAt"]).default("name") });
export const listNodesOutput = z.object({
  items: z.array(nodeOutput),
  nextCursor: z.string().nullable(),
  summary: z.object({ nodes: z.number().int(), byStatus: z.record(nodeStatusSchema, z.number().int()), silent: z.number().int(), sites: z.number().int() }),
});
