import type { Db } from "../../server/db";
import type { Prisma } from "../../server/generated/prisma/client";
import { appCatalog } from "../../server/domain/app-catalog";
import { providerFromBrand } from "../../server/domain/provider";
import { appAdminPassword, databasePassword } from "../../server/contract/cluster-secrets";
import { asciiDomainSchema, ipv4OrCidrSchema, type SftpSpec, type AccountSpecInput, type DatabaseSpecInput, type EgressSpec, type NodeSpecInput, type SiteSpecInput } from "../../server/contract/node-spec";
import { openPrivateKey } from "../../server/services/certificate/certificate-key-box";
import { readPlatformSettings } from "../../server/services/settings/read-platform-settings";
import { controlAddresses } from "./control-addresses";
import { buildZones } from "./build-zones";

// A node's desired state, read fresh from Postgres (level-triggered: a job carries the node's id
// and nothing else). The result is exactly what the agent's PUT /v1/spec takes
// (server/contract/node-spec.ts), plus the generation of every object it covers, so that once the agent
// has converged it, the reconcile can record observedGeneration for precisely those rows.

export type NodeSpecObjects = {
  sites: { id: string; generation: number }[];
  databases: { id: string; generation: number }[];
  accounts: { id: string; generation: number }[];
};

/** spec: the wire's form (z.input of the contract), so it goes out as built, defaults unapplied. */
export type BuiltNodeSpec = { spec: NodeSpecInput; objects: NodeSpecObjects };

/**
 * A site's stored php.ini settings as the spec carries them. Not checked here: the agent checks
 * them and refuses the site (which then fails on its own) if one is wrong.
 */
function phpSettingsOf(stored: Prisma.JsonValue): Record<string, string> {
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return {};
  return Object.fromEntries(Object.entries(stored).map(([key, value]) => [key, typeof value === "string" ? value : String(JSON.stringify(value))]));
}

/** Objects to leave out of the spec (a previous attempt found them invalid), by id. */
export type SpecExclusions = ReadonlySet<string>;

/** The node's placements (served and replicated), its databases, and the resellers not active. */
function readNodeRows(db: Db, nodeId: string) {
  return Promise.all([
    db.placement.findMany({
      where: { nodeId, role: "PRIMARY", site: { deletedAt: null, status: { not: "TERMINATED" }, account: { deletedAt: null, status: { not: "TERMINATED" } } } },
      orderBy: { siteId: "asc" },
      select: {
        site: {
          select: {
            id: true,
            generation: true,
            status: true,
            app: true,
            documentRoot: true,
            phpSettings: true,
            accountId: true,
            domain: { select: { name: true, displayName: true, deletedAt: true } },
            databases: { where: { deletedAt: null }, orderBy: { createdAt: "asc" }, select: { name: true, users: { where: { deletedAt: null }, orderBy: { createdAt: "asc" }, select: { id: true, username: true } } } },
          },
        },
      },
    }),
    // Sites this node keeps a copy of (snapshots only, not served).
    db.placement.findMany({
      where: { nodeId, role: "REPLICA", site: { deletedAt: null, status: { not: "TERMINATED" }, account: { deletedAt: null, status: { not: "TERMINATED" } } } },
      orderBy: { siteId: "asc" },
      select: { site: { select: { id: true, accountId: true, generation: true } } },
    }),
    db.database.findMany({
      where: { nodeId, deletedAt: null, account: { deletedAt: null, status: { not: "TERMINATED" } } },
      orderBy: { id: "asc" },
      select: { id: true, generation: true, accountId: true, name: true, users: { where: { deletedAt: null }, orderBy: { username: "asc" }, select: { id: true, username: true } } },
    }),
    db.reseller.findMany({ where: { status: { not: "ACTIVE" } }, select: { id: true } }),
    db.convergeHold.findMany({ where: { nodeId }, select: { objectId: true, generation: true } }),
  ]);
}

/**
 * The objects this node leaves alone (ConvergeHold rows still at the object's generation); a held
 * account holds its sites and databases here too, since its own steps come first.
 */
function heldIds(holds: { objectId: string; generation: number }[], objects: NodeSpecObjects, owners: Map<string, string>): Set<string> {
  const generation = new Map([...objects.sites, ...objects.databases, ...objects.accounts].map((o) => [o.id, o.generation]));
  const held = new Set(holds.filter((h) => generation.get(h.objectId) === h.generation).map((h) => h.objectId));
  for (const [id, accountId] of owners) if (held.has(accountId)) held.add(id);
  return held;
}

type PlacedSite = Awaited<ReturnType<typeof readNodeRows>>[0][number]["site"];

/** A served site as the spec carries it, with its one-click app's install parameters when it has one. */
function siteSpec(s: PlacedSite, adminEmail: string, clusterSecret: string): SiteSpecInput {
  const entry = appCatalog[s.app];
  const appDb = s.databases[0];
  const appUser = appDb?.users[0];
  return {
    id: s.id,
    accountId: s.accountId,
    domains: [s.domain.name],
    documentRoot: s.documentRoot,
    phpSettings: phpSettingsOf(s.phpSettings),
    status: s.status === "ACTIVE" ? "ACTIVE" : "SUSPENDED",
    ...(entry.installer
      ? {
          app: {
            kind: entry.installer,
            title: s.domain.displayName,
            url: `http://${s.domain.name}/`,
            adminUser: entry.adminUsernameDefault ?? "admin",
            adminEmail,
            adminPassword: appAdminPassword(clusterSecret, s.id),
            database: entry.database && appDb && appUser ? { name: appDb.name, user: appUser.username, password: databasePassword(clusterSecret, appUser.id) } : null,
          },
        }
      : {}),
  };
}

/**
 * Where customers' code may connect: the admin's allow list, and the addresses it may not reach
 * even when public: every node's (another node's agent, backend and MariaDB ports included) and
 * the control plane's. Sorted, so the spec's hash changes only when the sets do.
 */
async function egressSpec(db: Db): Promise<EgressSpec> {
  const [settings, nodes] = await Promise.all([readPlatformSettings(db), db.node.findMany({ select: { address: true } })]);
  const addresses = [...nodes.map((n) => n.address), ...controlAddresses()].filter((a) => ipv4OrCidrSchema.safeParse(a).success);
  return { allow: settings.egressAllow, clusterAddresses: [...new Set(addresses)].sort() };
}

/**
 * The front doors' certificates and open HTTP-01 answers: the same for every node (any node is a
 * door for any site). A certificate is served from issue until it expires, whatever its latest
 * order says; a name is on one certificate only (the oldest keeps it).
 */
export async function tlsSpec(db: Db, clusterSecret: string, now = new Date()): Promise<NonNullable<NodeSpecInput["tls"]>> {
  const [certificates, challenges] = await Promise.all([
    db.certificate.findMany({
      where: { chainPem: { not: null }, keyEncrypted: { not: null }, notAfter: { gt: now }, site: { deletedAt: null, status: { not: "TERMINATED" }, domain: { deletedAt: null } } },
      orderBy: { createdAt: "asc" },
      select: { id: true, domains: true, chainPem: true, keyEncrypted: true, site: { select: { redirectHttps: true, hsts: true } } },
    }),
    db.acmeChallenge.findMany({ where: { expiresAt: { gt: now } }, orderBy: { token: "asc" }, select: { token: true, keyAuthorization: true } }),
  ]);
  const taken = new Set<string>();
  const specs = [];
  for (const c of certificates) {
    const domains = c.domains.filter((d) => asciiDomainSchema.safeParse(d).success && !taken.has(d));
    if (domains.length === 0) continue;
    domains.forEach((d) => taken.add(d));
    specs.push({
      id: c.id,
      domains,
      chain: c.chainPem!,
      key: openPrivateKey(clusterSecret, c.id, c.keyEncrypted!),
      redirectHttps: c.site.redirectHttps,
      hsts: c.site.hsts,
    });
  }
  return { certificates: specs, challenges };
}

/**
 * The cluster's SFTP directory, the same in every node's spec except `port`: every account that
 * may sign in (active all the way up, its plan allowing SFTP, a password or a key set), with its
 * password hash, its public keys and the gateways of the nodes serving its live sites.
 */
export async function sftpSpec(db: Db, nodeId: string, blockedResellerIds: readonly string[]): Promise<SftpSpec | null> {
  const node = await db.node.findUnique({ where: { id: nodeId }, select: { sftpPort: true } });
  if (!node) return null;
  const rows = await db.hostingAccount.findMany({
    where: {
      deletedAt: null,
      status: "ACTIVE",
      customer: { status: "ACTIVE", deletedAt: null },
      plan: { sftpEnabled: true },
      OR: [{ sftpPasswordHash: { not: null } }, { sftpKeys: { some: {} } }],
    },
    orderBy: { username: "asc" },
    select: {
      username: true,
      sftpPasswordHash: true,
      customer: { select: { reseller: { select: { path: true } } } },
      sftpKeys: { orderBy: { fingerprint: "asc" }, select: { publicKey: true } },
      sites: {
        where: { deletedAt: null, status: "ACTIVE" },
        select: { placements: { where: { role: "PRIMARY" }, select: { node: { select: { address: true, sftpPort: true } } } } },
      },
    },
  });
  const blocked = blockedResellerIds.map((id) => `/${id}/`);
  const accounts = rows
    .filter((a) => !blocked.some((b) => a.customer.reseller.path.includes(b)))
    .map((a) => {
      const count = new Map<string, number>();
      for (const p of a.sites.flatMap((s) => s.placements)) {
        const gateway = `${p.node.address}:${p.node.sftpPort}`;
        count.set(gateway, (count.get(gateway) ?? 0) + 1);
      }
      const liveAt = [...count].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([gateway]) => gateway);
      return { username: a.username, passwordHash: a.sftpPasswordHash, keys: a.sftpKeys.map((k) => k.publicKey), liveAt };
    });
  return { port: node.sftpPort, accounts };
}

export async function buildNodeSpec(db: Db, nodeId: string, clusterSecret: string, exclude: SpecExclusions = new Set()): Promise<BuiltNodeSpec> {
  const [[placements, replicaPlacements, databases, blockedResellers, holds], { zones }] = await Promise.all([readNodeRows(db, nodeId), buildZones(db)]);
  const sites = placements.map((p) => p.site).filter((s) => !exclude.has(s.id) && s.domain.deletedAt === null);
  const dbs = databases.filter((d) => !exclude.has(d.id));

  const replicas = replicaPlacements.map((p) => p.site).filter((s) => !exclude.has(s.id));
  const accountIds = [...new Set([...sites.map((s) => s.accountId), ...dbs.map((d) => d.accountId), ...replicas.map((r) => r.accountId)])].sort();
  const accountRows = await db.hostingAccount.findMany({
    where: { id: { in: accountIds } },
    orderBy: { id: "asc" },
    select: {
      id: true,
      username: true,
      status: true,
      generation: true,
      plan: { select: { cpuPercent: true, memoryMb: true, pids: true, ioWeight: true, diskMb: true } },
      customer: { select: { email: true, status: true, reseller: { select: { path: true, brand: { select: { displayName: true, supportEmail: true } } } } } },
    },
  });
  const blocked = blockedResellers.map((r) => `/${r.id}/`);
  const sftp = await sftpSpec(db, nodeId, blockedResellers.map((r) => r.id));
  const accounts = accountRows.filter((a) => !exclude.has(a.id));
  const kept = new Set(accounts.map((a) => a.id));
  const emailOf = new Map(accounts.map((a) => [a.id, a.customer.email]));

  const specSites = sites.filter((s) => kept.has(s.accountId)).map((s) => siteSpec(s, emailOf.get(s.accountId)!, clusterSecret));
  const specDatabases = dbs
    .filter((d) => kept.has(d.accountId))
    .map((d): DatabaseSpecInput => ({
      id: d.id,
      accountId: d.accountId,
      name: d.name,
      users: d.users.map((u) => ({ username: u.username, password: databasePassword(clusterSecret, u.id) })),
    }));
  const objects: NodeSpecObjects = {
    sites: sites.filter((s) => kept.has(s.accountId)).map((s) => ({ id: s.id, generation: s.generation })),
    databases: dbs.filter((d) => kept.has(d.accountId)).map((d) => ({ id: d.id, generation: d.generation })),
    accounts: accounts.map((a) => ({ id: a.id, generation: a.generation })),
  };
  const held = heldIds(holds, objects, new Map([...specSites, ...specDatabases].map((o) => [o.id, o.accountId])));
  // A held object is sent (so it is not torn down) but not converged: its generation is not one
  // the reconcile may record as observed.
  const notHeld = <T extends { id: string }>(rows: T[]) => rows.filter((r) => !held.has(r.id));
  return {
    spec: {
      accounts: accounts.map((a): AccountSpecInput => ({
        id: a.id,
        username: a.username,
        // A suspended customer, account or reseller anywhere above suspends every site below.
        status:
          a.status === "ACTIVE" && a.customer.status === "ACTIVE" && !blocked.some((b) => a.customer.reseller.path.includes(b)) ? "ACTIVE" : "SUSPENDED",
        // The reseller the customer bought from names the page a suspended site shows.
        provider: providerFromBrand(a.customer.reseller.brand),
        // The plan's values as they are, even past a bound the admin lowered since: a bound limits
        // what is sold next, it does not take resources from running sites without anyone saying so.
        limits: { cpuPercent: a.plan.cpuPercent, memoryMb: a.plan.memoryMb, pids: a.plan.pids, ioWeight: a.plan.ioWeight, diskMb: a.plan.diskMb },
      })),
      sites: specSites,
      databases: specDatabases,
      // Only when there are any, so a node without replicas gets the spec shape it always had.
      ...(replicas.length ? { replicas: replicas.filter((r) => kept.has(r.accountId)).map((r) => ({ siteId: r.id, accountId: r.accountId })) } : {}),
      egress: await egressSpec(db),
      // Only when there is something to serve, like replicas.
      ...(await tlsSpec(db, clusterSecret).then((t) => (t.certificates.length || t.challenges.length ? { tls: t } : {}))),
      ...(sftp ? { sftp } : {}),
      // Only when there are any, like replicas.
      ...(held.size ? { held: [...held].sort() } : {}),
      zones,
    },
    objects: { sites: notHeld(objects.sites), databases: notHeld(objects.databases), accounts: notHeld(objects.accounts) },
  };
}
