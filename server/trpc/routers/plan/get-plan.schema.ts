import { planIdInput, planOutput } from "./plan.schema";

export const getPlanInput = planIdInput;
export const getPlanOutput = planOutput;
