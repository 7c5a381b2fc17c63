import { z } from "zod";
import { TenantStatus } from "../../../generated/prisma/enums";
import { pageInputSchema } from "../../../services/pagination";
import { customerRowOutput } from "./customer.schema";

export const listCustomersInput = pageInputSchema.extend({
  sort: z.enum(["name", "createdAt"]).default("name"),
  status: z.enum(TenantStatus).optional(),
});

export const listCustomersOutput = z.object({ items: z.array(customerRowOutput), nextCursor: z.string().nullable() });
