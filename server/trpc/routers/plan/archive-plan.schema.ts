import { planIdInput, planOutput } from "./plan.schema";

export const archivePlanInput = planIdInput;
export const archivePlanOutput = planOutput;
