import { z } from "zod";
import { passwordSchema } from "../../../domain/safe-text";
import { unixUsernameSchema } from "../../../domain/unix-username";
import { companySchema, customerDetailOutput, customerEmailSchema, customerNameSchema } from "./customer.schema";

export const createCustomerInput = z.object({
  name: customerNameSchema,
  email: customerEmailSchema,
  company: companySchema,
  resellerId: z.string().min(1).max(50).optional(),
  planId: z.string().min(1, "Choose a plan.").max(50),
  /** Empty: suggested from the name. */
  unixUsername: z.union([z.literal("").transform(() => undefined), unixUsernameSchema]).optional(),
  login: z.object({
    email: customerEmailSchema,
    /** Empty: the person gets a "set your password" mail instead. */
    password: z.union([z.literal("").transform(() => undefined), passwordSchema]).optional(),
  }),
});

export const createCustomerOutput = customerDetailOutput;
