import { z } from "zod";
import { isPurposeKey, minClusterSecretLength } from "../../server/contract/cluster-secrets";
import { ipv4OrCidrSchema } from "../../server/contract/node-spec";
import { loadEnvOrExit, sharedEnv } from "../../server/parse-env";
import { balancerEnv, balancerModeSchema } from "./balance";
import { controlMetricsEnv } from "./control-metrics";

export const controlEnvSchema = z.object({
  ...sharedEnv,
  // The control worker derives every purpose's secrets (agent tokens, database and app passwords),
  // so it alone holds the cluster secret itself (server/contract/cluster-secrets.ts).
  SHOAL_CLUSTER_SECRET: z
    .string({ error: "SHOAL_CLUSTER_SECRET is required." })
    .min(minClusterSecretLength, `SHOAL_CLUSTER_SECRET must be at least ${minClusterSecretLength} characters.`)
    .refine((v) => !isPurposeKey(v), "SHOAL_CLUSTER_SECRET must be the cluster secret, not a purpose key."),
  /**
   * The control plane's TLS identity for agent calls (ca.crt, cert.pem, key.pem; not the CA's
   * key): read by controlTransport() (server/contract/agent-transport.ts); default var/cluster-tls.
   */
  SHOAL_CLUSTER_TLS_DIR: z.string().optional(),
  SHOAL_RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** The balancer: "on" (default), "dry-run" (logs the moves it would start) or "off". */
  SHOAL_BALANCER: balancerModeSchema,
  /** Heartbeat silence before a node is SUSPECT (DEGRADED) and its peers are asked to probe it. */
  SHOAL_SUSPECT_AFTER_MS: z.coerce.number().int().min(500).default(1500),
  /**
   * How often each control worker re-asserts the cluster's schedules in Redis, checks for a Redis
   * that came back empty and says it is alive (schedule-keeper.ts). At most 5 s: the panel counts a
   * worker unseen for 15 s as gone.
   */
  SHOAL_KEEPER_MS: z.coerce.number().int().min(100).max(5_000).default(2_000),
  /** A node enters or leaves DEAD at most once per this (a flapping link does not fail over and back). */
  SHOAL_HOLD_DOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /** How often the snapshot schedule looks for due snapshots: the finest cadence a plan gets. */
  SHOAL_SNAPSHOT_TICK_MS: z.coerce.number().int().min(500).max(60_000).optional(),
  /** How often each site's disk use is collected from its live node (default 60 s). */
  SHOAL_USAGE_TICK_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  /** "off": the heartbeat still marks nodes DEAD, but nothing is failed over (an operator does it). */
  SHOAL_FAILOVER: z.enum(["on", "off"]).default("on"),
  /** A lost (DEAD) node's sites get new replicas elsewhere once it has been down this long. */
  SHOAL_REREPLICATE_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
  /** At most this many new replicas receive their first (full) copy at once, cluster-wide. */
  SHOAL_REREPLICATE_BUDGET: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * Addresses of the control plane that DATABASE_URL and REDIS_URL do not show (the panel, other
   * workers), comma-separated IPv4 or CIDR: customers' code on the nodes may not connect to them.
   */
  SHOAL_CONTROL_ADDRESSES: z
    .string()
    .default("")
    .refine(
      (v) => v.split(",").every((a) => a.trim() === "" || ipv4OrCidrSchema.safeParse(a.trim()).success),
      "SHOAL_CONTROL_ADDRESSES must be IPv4 addresses or CIDR blocks, separated by commas.",
    ),
  /**
   * The ACME directory certificates are ordered from (Pebble's in tests and `npm start`,
   * scripts/cluster/pebble.ts). Unset: no certificate is ordered (uploaded ones are still served).
   */
  SHOAL_ACME_DIRECTORY_URL: z.preprocess((v) => (v === "" ? undefined : v), z.url().optional()),
  /** PEM file of the CA that signed the ACME server's own TLS certificate, when it is not a public one (Pebble's). */
  SHOAL_ACME_CA_FILE: z.string().optional(),
  /** The DNS server ("address:port") that says whether a domain points here: node-1's PowerDNS locally. */
  SHOAL_ACME_DNS_SERVER: z.string().regex(/^[0-9.]+:[0-9]{1,5}$/, "SHOAL_ACME_DNS_SERVER must be address:port.").default("127.0.1.1:53"),
  /** The balancer's period and settings (balance.ts): SHOAL_BALANCE_TICK_MS, SHOAL_BALANCER_SETTINGS. */
  ...balancerEnv,
  /** /metrics (control-metrics.ts): SHOAL_METRICS_PORT, _HOST, _TOKEN. */
  ...controlMetricsEnv,
});

export type ControlEnv = z.infer<typeof controlEnvSchema>;

export const loadControlEnv = (): ControlEnv => loadEnvOrExit(controlEnvSchema, "control worker", "control");
