import { isIP } from "node:net";
import { z } from "zod";

// A node's name is one DNS label ("node-1"): it becomes the node's hostname and appears in paths
// and unit names on the node. server/domain has grammars for full names only, hence the rule here.
const nodeName = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter a name.")
  .max(63, "A node name can be at most 63 characters.")
  .regex(/^[a-z0-9-]+$/, "Use only letters, digits and hyphens, such as node-1.")
  .refine((v) => !v.startsWith("-") && !v.endsWith("-"), "A node name must not start or end with a hyphen.");

export const nodeSpecSchema = z.object({
  name: nodeName,
  address: z
    .string()
    .trim()
    .max(45)
    .refine((v) => isIP(v) !== 0, "Enter an IPv4 or IPv6 address, such as 10.0.0.5 or fd00::5.")
    .transform((v) => v.toLowerCase()),
  agentPort: z.number().int().min(1024, "Use a port from 1024 to 65535.").max(65535, "Use a port from 1024 to 65535."),
  capacitySites: z.number().int().min(1, "At least 1 site.").max(100_000, "At most 100,000 sites."),
  capacityDiskMb: z.number().int().min(1024, "At least 1,024 MB.").max(1_000_000_000, "At most 1,000,000,000 MB."),
  capacityCpus: z.number().int().min(1, "At least 1 CPU.").max(1024, "At most 1,024 CPUs."),
  capacityMemoryMb: z.number().int().min(512, "At least 512 MB.").max(16_777_216, "At most 16,777,216 MB."),
});

export const registerNodeInput = nodeSpecSchema;

export const nodeStatusSchema = z.enum(["PENDING", "HEALTHY", "DEGRADED", "DEAD", "DRAINING"]);

/** A node's latest heartbeat figures as the panel shows them (server/services/node/node-fields.ts). */
export const nodeLoadOutput = z.object({
  cpuPct: z.number(),
  load1: z.number(),
  cores: z.number().int(),
  memoryUsedMb: z.number().int(),
  memoryTotalMb: z.number().int(),
  diskUsedMb: z.number().int(),
  diskTotalMb: z.number().int(),
  requestsPerSec: z.number(),
});

export const nodeOutput = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  agentPort: z.number(),
  status: nodeStatusSchema,
  lastHeartbeatAt: z.date().nullable(),
  heartbeatAgeSec: z.number().int().nullable(),
  /** Seconds without a heartbeat past the suspect window (its status is then not its health); null when fresh. */
  silentSec: z.number().int().nullable(),
  lastAppliedAt: z.date().nullable(),
  lastError: z.string().nullable(),
  load: nodeLoadOutput.nullable(),
  capacitySites: z.number(),
  capacityDiskMb: z.number(),
  capacityCpus: z.number(),
  capacityMemoryMb: z.number(),
  generation: z.number(),
  observedGeneration: z.number(),
  siteCount: z.number(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const registerNodeOutput = nodeOutput;
