import { z } from "zod";
import { nodeOutput } from "./register-node.schema";

export const getNodeInput = z.object({ id: z.string().min(1).max(64) });
export const getNodeOutput = nodeOutput;
