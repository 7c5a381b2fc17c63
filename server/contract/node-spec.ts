import { isIPv4 } from "node:net";
import { z } from "zod";
import { parseDatabaseName, parseDatabaseUser } from "../domain/database-name";
import { parseDomainName } from "../domain/domain-name";
import { providerSchema } from "../domain/provider";
import { unixUsernameSchema } from "../domain/unix-username";
import { zoneSpecSchema } from "./dns-zone";

// The desired state the control plane sends to a node. The agent validates it again (what crosses
// the wire is untrusted on both sides): every value here ends up in a config file, a path, a process
// argument or SQL, so each has a strict grammar, and the cross-references (a site's account, a
// database's prefix) are checked before the agent touches anything.

/**
 * Ids reach file names (vhost, pool, site directory) and a php-fpm pool name: the cuid alphabet
 * plus inner hyphens (the demo seed's stable ids such as "seed-reseller-one-customer-1-account").
 */
export const objectIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const objectIdSchema = z
  .string()
  .regex(objectIdPattern, "Must be 1-40 lower-case letters, digits or inner hyphens.");

export const statusSchema = z.enum(["ACTIVE", "SUSPENDED"]);

/** A domain already in its canonical ASCII (punycode) form: the control plane converts IDNs. */
export const asciiDomainSchema = z.string().transform((input, ctx) => {
  const parsed = parseDomainName(input);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.error, input });
    return z.NEVER;
  }
  if (parsed.value.ascii !== input) {
    ctx.addIssue({ code: "custom", message: `Must be the lower-case ASCII form "${parsed.value.ascii}".`, input });
    return z.NEVER;
  }
  return parsed.value.ascii;
});

/**
 * A path inside the site directory: plain segments only, so it can never climb out ("..") or
 * land on a dotfile, and it is safe to write into nginx's `root` directive unquoted.
 */
export const documentRootSchema = z
  .string()
  .max(200, "Must be at most 200 characters.")
  .superRefine((value, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", message, input: value });
    if (value === "") return issue("Enter a directory such as public.");
    if (value.startsWith("/")) return issue("Must be relative to the site directory, without a leading /.");
    const segments = value.split("/");
    if (segments.length > 5) return issue("Can be at most 5 directories deep.");
    for (const segment of segments) {
      if (segment === "") return issue("Must not contain empty parts (// or a trailing /).");
      if (segment.startsWith(".")) return issue(`"${segment}": directory names must not start with a dot.`);
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment)) {
        return issue(`"${segment}": can only contain letters, digits, dots, hyphens and underscores.`);
      }
    }
  });

const megabytes = (min: number, max: number) =>
  z.string().superRefine((value, ctx) => {
    const match = /^([1-9][0-9]{0,4})M$/.exec(value);
    const n = match ? Number(match[1]) : NaN;
    if (!match || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `Must be a size from ${min}M to ${max}M, such as ${min * 2}M.`, input: value });
    }
  });

/** The php.ini settings a customer may change, each with its own grammar and bounds. */
export const phpSettingsSchema = z.strictObject(
  {
    memory_limit: megabytes(32, 2048).optional(),
    upload_max_filesize: megabytes(1, 1024).optional(),
    post_max_size: megabytes(1, 1024).optional(),
    max_execution_time: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, "Must be a whole number of seconds from 1 to 600.")
      .refine((value) => Number(value) <= 600, "Must be a whole number of seconds from 1 to 600.")
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `Not an allowed PHP setting: ${issue.keys.join(", ")}. Allowed: memory_limit, upload_max_filesize, post_max_size, max_execution_time.`
        : undefined,
  },
);
export type PhpSettings = z.infer<typeof phpSettingsSchema>;

const identifier = (parse: typeof parseDatabaseName) =>
  z.string().superRefine((input, ctx) => {
    const parsed = parse(input);
    // The parsers canonicalise (trim, lower-case); the agent accepts only the canonical form so
    // that what it writes is exactly what the control plane recorded.
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error, input });
    else if (parsed.value !== input) ctx.addIssue({ code: "custom", message: `Must be written "${parsed.value}".`, input });
  });

/**
 * Bound as a parameter, never part of SQL text; bounded so a spec can't carry megabytes, and free
 * of control characters so it can also be written into an application's config file.
 */
const databasePasswordSchema = z
  .string()
  .min(16, "Must be at least 16 characters.")
  .max(128, "Must be at most 128 characters.")
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "Must not contain control characters.");

const noControlCharacters = (value: string) => !/[\u0000-\u001f\u007f-\u009f]/.test(value);

export { providerSchema, type Provider } from "../domain/provider";

/**
 * An account's share of a node, from its plan: the agent applies it to the cgroup every process of
 * the account runs in on that node (php-fpm now; cron and SFTP sessions later), and diskMb to its
 * storage quota. cpuPercent is of one core (200 = two cores).
 */
export const accountLimitsSchema = z.strictObject({
  cpuPercent: z.number().int().min(5).max(6400),
  memoryMb: z.number().int().min(64).max(262_144),
  pids: z.number().int().min(16).max(65_536),
  ioWeight: z.number().int().min(1).max(10_000),
  diskMb: z.number().int().min(1).max(100_000_000),
});
export type AccountLimits = z.infer<typeof accountLimitsSchema>;
export const defaultAccountLimits: AccountLimits = { cpuPercent: 100, memoryMb: 512, pids: 128, ioWeight: 100, diskMb: 1024 };

const accountSpecSchema = z.strictObject({
  id: objectIdSchema,
  username: unixUsernameSchema,
  status: statusSchema,
  provider: providerSchema.nullable().optional(),
  limits: accountLimitsSchema.default(defaultAccountLimits),
});

const portNumber = (value: string) => /^[1-9][0-9]{0,4}$/.test(value) && Number(value) <= 65535;

/** "IPv4:port", written unquoted into an nginx listen directive. */
export const listenAddressSchema = z.string().refine((value) => {
  const [address, port, ...rest] = value.split(":");
  return rest.length === 0 && address !== undefined && isIPv4(address) && port !== undefined && portNumber(port);
}, "Must be IPv4:port, such as 127.0.0.1:80.");

/** An IPv4 address or block ("10.0.0.0/24"), written unquoted into nginx and nftables rules. */
export const ipv4OrCidrSchema = z.string().refine((value) => {
  const [address, bits, ...rest] = value.split("/");
  if (rest.length > 0 || address === undefined || !isIPv4(address)) return false;
  return bits === undefined || (/^[0-9]{1,2}$/.test(bits) && Number(bits) <= 32);
}, "Must be an IPv4 address or CIDR block, such as 10.0.0.0/24.");

/**
 * Where a site's processes may connect beyond the internet, its node's MariaDB and its node's DNS
 * (an admin setting: a shared API host on the private network, say). Everything else on loopback,
 * private ranges and `clusterAddresses` is refused.
 */
export const egressSpecSchema = z.strictObject({
  allow: z.array(z.strictObject({ address: ipv4OrCidrSchema, port: z.number().int().min(1).max(65535).nullable() })).max(256),
  /** Addresses of the cluster's own hosts (nodes, Postgres, Redis, panel) when they are not private. */
  clusterAddresses: z.array(ipv4OrCidrSchema).max(1024),
});
export type EgressSpec = z.infer<typeof egressSpecSchema>;

/**
 * One account as every node's SFTP gateway knows it (worker/agent/sftp/): hashes and public keys
 * only, never a password. An account that is not listed (suspended, its plan without SFTP, no
 * credential set) is refused by every gateway.
 */
export const sftpAccountSchema = z.strictObject({
  username: unixUsernameSchema,
  /** The argon2id hash of its SFTP password (server/auth/password.ts), or null: keys only. */
  passwordHash: z
    .string()
    .max(300)
    .regex(/^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, "Must be an argon2id hash.")
    .nullable(),
  /** Public keys as the panel re-encoded them: "<type> <base64>". */
  keys: z
    .array(z.string().max(16_384).regex(/^(?:ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/, "Must be \"<type> <base64>\"."))
    .max(20),
  /**
   * The gateways ("IPv4:port") of the nodes that serve its sites live, the one with most of them
   * first; a session on another node is forwarded to the first. Empty: no live site yet.
   */
  liveAt: z.array(listenAddressSchema).max(64),
});
export type SftpAccountSpec = z.infer<typeof sftpAccountSchema>;

export const sftpSpecSchema = z.strictObject({
  /** This node's SFTP port, on its address. */
  port: z.number().int().min(1).max(65535),
  accounts: z.array(sftpAccountSchema).max(50_000),
});
export type SftpSpec = z.infer<typeof sftpSpecSchema>;

/** The installers the agent has (worker/agent/apps/); the catalog maps SiteApp values to them. */
export const appKindSchema = z.enum(["wordpress", "dokuwiki"], { error: 'Must be "wordpress" or "dokuwiki".' });

/** Letters first, then letters, digits and "_": safe in WordPress, DokuWiki's user file and a URL. */
export const appAdminUserSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{2,31}$/, "Must be 3-32 lower-case letters, digits or underscores, starting with a letter.");

/**
 * A deliberately plain address grammar: no quoting, no ":" or spaces (DokuWiki's user file is
 * colon-separated lines), a dotted domain with a letter TLD.
 */
export const appAdminEmailSchema = z
  .string()
  .max(254, "Must be at most 254 characters.")
  .regex(
    /^[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/,
    "Must be an email address such as admin@example.com.",
  );

/** Only printable characters: it travels as JSON on stdin, but is also hashed into config files. */
export const appAdminPasswordSchema = z
  .string()
  .min(16, "Must be at least 16 characters.")
  .max(128, "Must be at most 128 characters.")
  .refine(noControlCharacters, "Must not contain control characters.");

export const appTitleSchema = z.string().superRefine((value, ctx) => {
  const issue = (message: string) => ctx.addIssue({ code: "custom", message, input: value });
  if (value === "") return issue("Enter a title.");
  if (value.length > 100) return issue("Must be at most 100 characters.");
  if (!noControlCharacters(value)) return issue("Must not contain control characters.");
  if (value.trim() === "") return issue("Enter a title, not only spaces.");
});

/** `http(s)://<host>/` exactly; that the host is one of the site's domains is checked with the spec. */
export const appUrlSchema = z.string().max(300, "Must be at most 300 characters.").superRefine((value, ctx) => {
  const issue = (message: string) => ctx.addIssue({ code: "custom", message, input: value });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return issue("Must be a URL such as http://example.com/.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return issue("Must start with http:// or https://.");
  if (value !== `${url.protocol}//${url.hostname}/`) {
    return issue(`Must be the site's address with the path "/" and nothing else, such as ${url.protocol}//${url.hostname}/.`);
  }
});

const appSpecSchema = z.strictObject({
  kind: appKindSchema,
  title: appTitleSchema,
  url: appUrlSchema,
  adminUser: appAdminUserSchema,
  adminEmail: appAdminEmailSchema,
  adminPassword: appAdminPasswordSchema,
  database: z.strictObject({ name: z.string().max(64), user: z.string().max(32), password: z.string().max(128) }).nullable(),
});
export type AppSpec = z.infer<typeof appSpecSchema>;

const siteSpecSchema = z.strictObject({
  id: objectIdSchema,
  accountId: objectIdSchema,
  domains: z.array(asciiDomainSchema).min(1, "A site needs at least one domain.").max(100, "At most 100 domains per site."),
  documentRoot: documentRootSchema,
  phpSettings: phpSettingsSchema,
  status: statusSchema,
  /** The one-click app installed once into the document root (worker/agent/apps/). */
  app: appSpecSchema.optional(),
});

const databaseSpecSchema = z.strictObject({
  id: objectIdSchema,
  accountId: objectIdSchema,
  name: identifier(parseDatabaseName),
  users: z
    .array(z.strictObject({ username: identifier(parseDatabaseUser), password: databasePasswordSchema }))
    .max(20, "At most 20 users per database."),
});

/**
 * A site this node keeps a copy of without serving it: its account (the Unix user its files
 * belong to) exists here and its received snapshots stay, but it gets no vhost, pool, databases or
 * live volume. The snapshots are the base of the next incremental stream and what a promote
 * (worker/agent/storage/routes.ts) turns into the live site when the control plane moves the site here.
 */
const replicaSpecSchema = z.strictObject({
  siteId: objectIdSchema,
  accountId: objectIdSchema,
});

/** A certificate id: the Certificate row's id (a cuid), also its file names on the node. */
const pemText = (label: string) =>
  z
    .string()
    .max(65_536, "Must be at most 65536 characters.")
    .refine((value) => new RegExp(`^(?:-----BEGIN ${label}-----\\n[A-Za-z0-9+/=\\n]+-----END ${label}-----\\n)+$`).test(value), `Must be PEM ${label} blocks.`);

/**
 * A certificate every front door serves (SNI picks it by name), with the site's HTTPS settings for
 * the same names: "Redirect HTTP to HTTPS" and HSTS act only where a certificate is served.
 */
const certificateSpecSchema = z.strictObject({
  id: objectIdSchema,
  /** The names it is served for: the site's domains it covers (a name is on one certificate only). */
  domains: z.array(asciiDomainSchema).min(1).max(100),
  /** Leaf then intermediates. */
  chain: pemText("CERTIFICATE"),
  /** PKCS#8; written 0600 root on the node. */
  key: pemText("PRIVATE KEY"),
  redirectHttps: z.boolean().default(false),
  hsts: z.boolean().default(false),
});

/**
 * An HTTP-01 answer: every front door serves `keyAuthorization` at
 * /.well-known/acme-challenge/<token>, so the CA may reach any node. The token is base64url
 * (RFC 8555 section 8.3), which is also a safe file name.
 */
const acmeChallengeSpecSchema = z.strictObject({
  token: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, "Must be 16-128 base64url characters."),
  keyAuthorization: z.string().regex(/^[A-Za-z0-9_-]{16,128}\.[A-Za-z0-9_-]{43}$/, "Must be <token>.<thumbprint> in base64url."),
});

export const tlsSpecSchema = z.strictObject({
  certificates: z.array(certificateSpecSchema).max(10_000),
  challenges: z.array(acmeChallengeSpecSchema).max(1000),
});
export type TlsSpec = z.infer<typeof tlsSpecSchema>;
export type CertificateSpec = TlsSpec["certificates"][number];

function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const repeated = new Set<T>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return repeated;
}

export const nodeSpecSchema = z
  .strictObject({
    accounts: z.array(accountSpecSchema).max(5000),
    sites: z.array(siteSpecSchema).max(5000),
    databases: z.array(databaseSpecSchema).max(5000),
    replicas: z.array(replicaSpecSchema).max(5000).default([]),
    egress: egressSpecSchema.default({ allow: [], clusterAddresses: [] }),
    /** The cluster's SFTP directory; absent: this node runs no SFTP gateway. */
    sftp: sftpSpecSchema.optional(),
    /**
     * Objects (site, database or account ids) the agent leaves exactly as they are: no step is
     * planned for them, and being in the spec they are not removed either. The control plane
     * holds an object here after it failed to converge (it kept needing the same steps), so
     * that its node stops re-applying and reloading for it until an admin retries it.
     */
    held: z.array(objectIdSchema).max(15000).default([]),
    /**
     * The zones this node's PowerDNS answers: the same on every node (any node answers for any
     * domain), converged into its local store (worker/agent/drivers/pdns.ts).
     */
    zones: z.array(zoneSpecSchema).max(20000).default([]),
    /** Every front door serves every certificate: the same section on every node. */
    tls: tlsSpecSchema.default({ certificates: [], challenges: [] }),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const accounts = new Map(spec.accounts.map((a) => [a.id, a]));

    const repeatedIds = duplicates(spec.accounts.map((a) => a.id));
    const repeatedNames = duplicates(spec.accounts.map((a) => a.username));
    spec.accounts.forEach((a, i) => {
      if (repeatedIds.has(a.id)) issue(["accounts", i, "id"], `Account id "${a.id}" appears more than once.`);
      if (repeatedNames.has(a.username)) issue(["accounts", i, "username"], `Username "${a.username}" is used by more than one account.`);
    });

    const repeatedSftp = duplicates((spec.sftp?.accounts ?? []).map((a) => a.username));
    spec.sftp?.accounts.forEach((a, i) => {
      if (repeatedSftp.has(a.username)) issue(["sftp", "accounts", i, "username"], `Username "${a.username}" appears more than once.`);
    });

    const repeatedSites = duplicates(spec.sites.map((s) => s.id));
    const repeatedDomains = duplicates(spec.sites.flatMap((s) => [...new Set(s.domains)]));
    spec.sites.forEach((s, i) => {
      if (repeatedSites.has(s.id)) issue(["sites", i, "id"], `Site id "${s.id}" appears more than once.`);
      if (!accounts.has(s.accountId)) issue(["sites", i, "accountId"], `Account "${s.accountId}" is not in this spec.`);
      s.domains.forEach((d, j) => {
        if (repeatedDomains.has(d)) issue(["sites", i, "domains", j], `Domain "${d}" is on more than one site.`);
      });
      duplicates(s.domains).forEach((d) => issue(["sites", i, "domains"], `Domain "${d}" is listed twice.`));
      if (s.app) checkApp(s, i);
    });

    // A site is served here or kept as a copy, never both: the two ask converge for opposite
    // things (a live volume, or none).
    const live = new Set(spec.sites.map((s) => s.id));
    const repeatedReplicas = duplicates(spec.replicas.map((r) => r.siteId));
    spec.replicas.forEach((r, i) => {
      if (repeatedReplicas.has(r.siteId)) issue(["replicas", i, "siteId"], `Replica of site "${r.siteId}" appears more than once.`);
      if (live.has(r.siteId)) issue(["replicas", i, "siteId"], `Site "${r.siteId}" is in sites too: a node serves a site or keeps a replica of it, not both.`);
      if (!accounts.has(r.accountId)) issue(["replicas", i, "accountId"], `Account "${r.accountId}" is not in this spec.`);
    });

    // An app's URL must be the site's own, and its database one this account has in the spec with
    // exactly those credentials: the installer writes them into the app's config as they are.
    function checkApp(s: (typeof spec.sites)[number], i: number) {
      const app = s.app!;
      const at = (...rest: (string | number)[]) => ["sites", i, "app", ...rest];
      const host = URL.canParse(app.url) ? new URL(app.url).hostname : null;
      if (host !== null && !s.domains.includes(host)) issue(at("url"), `The host "${host}" is not one of this site's domains.`);
      if (app.kind === "dokuwiki") {
        if (app.database !== null) issue(at("database"), "DokuWiki keeps its pages in files: the database must be null.");
        return;
      }
      if (app.database === null) return issue(at("database"), "WordPress needs a database of this site's account.");
      const db = spec.databases.find((d) => d.name === app.database!.name);
      if (!db) return issue(at("database", "name"), `Database "${app.database.name}" is not in this spec.`);
      if (db.accountId !== s.accountId) return issue(at("database", "name"), `Database "${db.name}" belongs to another account.`);
      const user = db.users.find((u) => u.username === app.database!.user);
      if (!user) return issue(at("database", "user"), `"${app.database.user}" is not a user of database "${db.name}".`);
      if (user.password !== app.database.password) {
        issue(at("database", "password"), `Does not match the password of database user "${user.username}".`);
      }
    }

    const repeatedZones = duplicates(spec.zones.map((z) => z.name));
    spec.zones.forEach((z, i) => {
      if (repeatedZones.has(z.name)) issue(["zones", i, "name"], `Zone "${z.name}" appears more than once.`);
    });
    const repeatedCerts = duplicates(spec.tls.certificates.map((c) => c.id));
    const certDomains = duplicates(spec.tls.certificates.flatMap((c) => [...new Set(c.domains)]));
    spec.tls.certificates.forEach((c, i) => {
      if (repeatedCerts.has(c.id)) issue(["tls", "certificates", i, "id"], `Certificate id "${c.id}" appears more than once.`);
      c.domains.forEach((d, j) => {
        if (certDomains.has(d)) issue(["tls", "certificates", i, "domains", j], `Domain "${d}" is on more than one certificate.`);
      });
    });
    const repeatedTokens = duplicates(spec.tls.challenges.map((c) => c.token));
    spec.tls.challenges.forEach((c, i) => {
      if (repeatedTokens.has(c.token)) issue(["tls", "challenges", i, "token"], "This token appears more than once.");
      if (!c.keyAuthorization.startsWith(`${c.token}.`)) issue(["tls", "challenges", i, "keyAuthorization"], "Must start with the token.");
    });

    const repeatedDatabaseIds = duplicates(spec.databases.map((d) => d.id));
    const repeatedDatabases = duplicates(spec.databases.map((d) => d.name));
    const repeatedUsers = duplicates(spec.databases.flatMap((d) => d.users.map((u) => u.username)));
    spec.databases.forEach((d, i) => {
      if (repeatedDatabaseIds.has(d.id)) issue(["databases", i, "id"], `Database id "${d.id}" appears more than once.`);
      if (repeatedDatabases.has(d.name)) issue(["databases", i, "name"], `Database "${d.name}" appears more than once.`);
      const account = accounts.get(d.accountId);
      if (!account) return issue(["databases", i, "accountId"], `Account "${d.accountId}" is not in this spec.`);
      // The prefix is what keeps one account's names (and GRANT patterns) apart from another's.
      const prefix = `${account.username}_`;
      if (!d.name.startsWith(prefix)) issue(["databases", i, "name"], `Must start with the account's prefix "${prefix}".`);
      d.users.forEach((u, j) => {
        if (!u.username.startsWith(prefix)) {
          issue(["databases", i, "users", j, "username"], `Must start with the account's prefix "${prefix}".`);
        }
        if (repeatedUsers.has(u.username)) {
          issue(["databases", i, "users", j, "username"], `Database user "${u.username}" appears more than once.`);
        }
      });
    });
  });

export type NodeSpec = z.infer<typeof nodeSpecSchema>;
export type AccountSpec = NodeSpec["accounts"][number];
export type SiteSpec = NodeSpec["sites"][number];
export type DatabaseSpec = NodeSpec["databases"][number];
export type ReplicaSpec = NodeSpec["replicas"][number];

export class InvalidSpecError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`Invalid node spec: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "InvalidSpecError";
  }
}

/** Parses an untrusted spec; the error names every offending field by its dotted path. */
export function parseNodeSpec(input: unknown): NodeSpec {
  const result = nodeSpecSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidSpecError(
    result.error.issues.map((issue) => ({ path: issue.path.join(".") || "(spec)", message: issue.message })),
  );
}

/** The spec as the control plane sends it (before defaults), which is what the wire carries. */
export type NodeSpecInput = z.input<typeof nodeSpecSchema>;
export type AccountSpecInput = NodeSpecInput["accounts"][number];
export type SiteSpecInput = NodeSpecInput["sites"][number];
export type DatabaseSpecInput = NodeSpecInput["databases"][number];
