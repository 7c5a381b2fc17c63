import { z } from "zod";
import { parseEnv, sharedEnv } from "./parse-env";

// The panel's environment, validated once at start-up; a missing or malformed variable stops the
// process with its name (thrown: Next.js reports it).
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  ...sharedEnv,
  /// How long the panel waits for a control worker to take up its question to a node (a preview, a
  /// snapshot listing) before it tells the customer that no worker is answering.
  SHOAL_NODE_READ_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(20_000),
  /// Secret for better-auth (cookies, tokens). scripts/lib.sh generates one into var/ for dev.
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters"),
  /// The panel's own base URL (the platform host), used in links in emails.
  PANEL_URL: z.url().default("http://localhost:3000"),
  /// Comma-separated CIDRs of reverse proxies whose X-Forwarded-For we believe.
  TRUSTED_PROXY_CIDRS: z.string().default(""),
  /// Minutes of inactivity after which a session ends, and the hard cap on a session's age.
  SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(60),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().positive().default(12),
  /// The bearer token that lets a scrape of the panel's /metrics in from anywhere but this machine's
  /// loopback (server/observability/panel-metrics.ts). Unset: loopback callers only. An empty value counts as not set.
  SHOAL_METRICS_TOKEN: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(16, "SHOAL_METRICS_TOKEN must be at least 16 characters").optional()),
  /// The app-admin purpose key (server/contract/cluster-secrets.ts), the one secret of the
  /// cluster the panel holds: it reveals an installed app's derived admin password once. The
  /// panel is never given the cluster secret itself (scripts/cluster.sh derives this key when it
  /// starts the panel). Without it the panel runs, and that reveal answers PRECONDITION_FAILED.
  /// An empty value (a blank line in an env file) counts as not set.
  SHOAL_APP_ADMIN_KEY: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .refine((v) => v.startsWith("shoal-key:app-admin:"), "SHOAL_APP_ADMIN_KEY must be the app-admin key (shoal-key:app-admin:...), not the cluster secret or another purpose's key")
      .optional(),
  ),
  /// The certificate-key purpose key: encrypts the private key of a certificate a customer
  /// uploads before it is stored (control workers derive the same key from the cluster secret to
  /// ship it to the edges). Without it, uploads answer PRECONDITION_FAILED.
  SHOAL_CERTIFICATE_KEY: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .refine((v) => v.startsWith("shoal-key:certificate-key:"), "SHOAL_CERTIFICATE_KEY must be the certificate-key key (shoal-key:certificate-key:...), not the cluster secret or another purpose's key")
      .optional(),
  ),
});

export type Env = z.infer<typeof schema>;

export const env: Env = parseEnv(schema, "panel");
