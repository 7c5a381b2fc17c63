import { z } from "zod";

export const getControlPlaneHealthInput = z.object({}).strict().optional();

/** What the admin banner needs: whether the control plane keeps up, and what is wrong in words. */
export const controlPlaneHealthOutput = z.object({ ok: z.boolean(), checkedAt: z.string(), problems: z.array(z.string()) });
