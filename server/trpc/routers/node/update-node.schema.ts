import { z } from "zod";
import { nodeOutput, nodeSpecSchema } from "./register-node.schema";

export const updateNodeInput = nodeSpecSchema.extend({ id: z.string().min(1).max(64) });
export const updateNodeOutput = nodeOutput;
