import { z } from "zod";
import { accountIdSchema, operationOutput } from "../operation/operation.schema";
import { tenantStatusSchema } from "../site/site.schema";

export const getDashboardInput = z.object({ accountId: accountIdSchema });

const account = z.object({ id: z.string(), username: z.string(), status: tenantStatusSchema, planName: z.string() });
const usage = z.object({ used: z.number().int(), limit: z.number().int().nullable() });

export const getDashboardOutput = z.object({
  account,
  accounts: z.array(account),
  usage: z.object({ sites: usage, databases: usage, domains: usage, diskMb: usage }),
  disk: z.object({
    filesBytes: z.number().int().min(0),
    databaseBytes: z.number().int().min(0),
    snapshotBytes: z.number().int().min(0),
    totalBytes: z.number().int().min(0),
    limitBytes: z.number().int().min(0),
    overLimit: z.boolean(),
    measuredAt: z.date().nullable(),
    unmeasuredSites: z.number().int().min(0),
  }),
  recentOperations: z.array(operationOutput),
});
