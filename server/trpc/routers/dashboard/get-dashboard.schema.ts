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
  limits: z.object({
    plan: z.object({
      cpuPercent: z.number().int(),
      memoryMb: z.number().int(),
      pids: z.number().int(),
      ioWeight: z.number().int(),
      diskMb: z.number().int(),
      copies: z.number().int(),
      snapshotCadenceSec: z.number().int(),
    }),
    servers: z.number().int().min(0),
    atDiskLimit: z.boolean(),
    diskBytes: z.number().int().min(0).nullable(),
    diskLimitBytes: z.number().int().min(0).nullable(),
    memoryBytes: z.number().int().min(0).nullable(),
    memoryLimitBytes: z.number().int().min(0).nullable(),
    memoryLimitHits: z.number().int().min(0),
    oomKills: z.number().int().min(0),
    cpuThrottledPeriods: z.number().int().min(0),
    cpuThrottledUsec: z.number().int().min(0),
    pids: z.number().int().min(0).nullable(),
    pidsLimit: z.number().int().min(0).nullable(),
    pidsLimitHits: z.number().int().min(0),
    measuredAt: z.date().nullable(),
  }),
  recentOperations: z.array(operationOutput),
});
