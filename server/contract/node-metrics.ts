import { z } from "zod";

// What a node's agent reports on GET /v1/metrics, polled by the control plane twice a second as
// the node's heartbeat. The control plane parses every report with this schema before it stores or
// acts on it: a node is a trust boundary, and a compromised or buggy agent must not be
// able to write arbitrary JSON into Node.metrics or steer placement with absurd numbers.

/** A host name as nginx logs $host (lower case, no port); anything else is not a site. */
export const metricsHostPattern = /^[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_])?$/;

/** The agent reports at most this many hosts, busiest first (see worker/agent/metrics.ts). */
export const maxReportedSites = 1000;

const nonNegative = z.number().finite().min(0);
const mb = z.number().int().min(0);

export const siteRatesSchema = z.strictObject({
  requestsPerSec: nonNegative,
  /** Responses with a 5xx status per second. */
  errorsPerSec: nonNegative,
});
export type SiteRates = z.infer<typeof siteRatesSchema>;

export const nodeMetricsSchema = z.strictObject({
  /** When the agent took the sample (its own clock). */
  at: z.iso.datetime(),
  /** Seconds since the agent process started. */
  uptimeSec: z.number().int().min(0),
  cpu: z.strictObject({
    cores: z.number().int().min(1).max(4096),
    /** The 1-minute load average. */
    load1: nonNegative,
    /** Busy share of all cores since the previous sample, 0-100. */
    usagePct: nonNegative.max(100),
  }),
  memory: z.strictObject({
    totalMb: mb,
    availableMb: mb,
    agentRssMb: mb,
  }),
  /** The file system that holds the node root (site files and MariaDB data). */
  disk: z.strictObject({
    totalMb: mb,
    usedMb: mb,
    freeMb: mb,
  }),
  /** Whether the front door serves (false: back from a crash, waiting for the current routes). */
  edge: z.strictObject({ confirmed: z.boolean() }).optional(),
  /** Front-door traffic per host over the last window (10 s), hosts with no requests omitted. */
  sites: z
    .record(z.string().regex(metricsHostPattern), siteRatesSchema)
    .refine((sites) => Object.keys(sites).length <= maxReportedSites, `At most ${maxReportedSites} sites.`),
});
export type NodeMetrics = z.infer<typeof nodeMetricsSchema>;
