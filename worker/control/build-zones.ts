import { createHash } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import type { Db } from "../../server/db";
import { isHostName, zoneRecordSchema, zoneRecordTypes, type ZoneRecord, type ZoneRecordType, type ZoneSpec } from "../../server/contract/dns-zone";

// Every live domain's zone, the same for every node (any node answers for any domain). Read fresh
// from Postgres like the rest of the node spec:
// - SOA, with a serial that rises whenever anything else in the zone changes (DnsZone);
// - NS: the domain's apex NS rows (copied from the reseller's brand when the domain was made),
//   or the platform's default nameservers when it has none;
// - for each site on the domain, A records for the apex and www naming every HEALTHY node, with
//   a short TTL, since a node that dies must leave resolvers' caches within seconds;
// - the customer's own rows, each checked against the zone grammar (server/contract/dns-zone.ts);
//   a row that fails, or that collides with a platform record, is left out rather than sent.

/** TTL of the platform's A records: how long a dead node's address may linger in a resolver's cache. */
export const platformAddressTtl = 30;
/** TTL of the apex NS records the zone carries. */
export const nameserverTtl = 3600;

/**
 * The platform's nameservers for a domain with no apex NS rows: the admin's default nameservers
 * (platform settings), else SHOAL_DEFAULT_NAMESERVERS, else brand-neutral placeholders.
 */
export async function platformDefaultNameservers(db: Db): Promise<string[]> {
  const settings = await db.platformSettings.findUnique({ where: { id: 1 }, select: { defaultNameservers: true } });
  const clean = (names: readonly string[]) => names.map((n) => n.trim().toLowerCase().replace(/\.$/, "")).filter((n) => n !== "" && isHostName(n));
  const admin = clean(settings?.defaultNameservers ?? []);
  if (admin.length > 0) return admin;
  const env = clean((process.env.SHOAL_DEFAULT_NAMESERVERS ?? "").split(","));
  return env.length > 0 ? env : ["ns1.nameserver.invalid", "ns2.nameserver.invalid"];
}

type DomainRow = {
  id: string;
  name: string;
  records: { name: string; type: string; content: string; ttl: number; priority: number | null; weight?: number | null; port?: number | null }[];
  _count: { sites: number };
};

/** A stored row's owner ("@", "www", "www.example.com", "www.example.com.") as an absolute name. */
export function ownerName(zone: string, name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, "");
  if (n === "" || n === "@" || n === zone) return zone;
  return n.endsWith(`.${zone}`) ? n : `${n}.${zone}`;
}

const hostContent = new Set<ZoneRecordType>(["CNAME", "MX", "NS"]);

/** The zone's content without its serial: what the serial follows. Pure. */
export function zoneContent(domain: DomainRow, nodeAddresses: readonly string[], defaultNameservers: readonly string[]): Omit<ZoneSpec, "serial"> {
  const zone = domain.name;
  const customer: ZoneRecord[] = [];
  for (const row of domain.records) {
    if (!(zoneRecordTypes as readonly string[]).includes(row.type)) continue;
    const type = row.type as ZoneRecordType;
    const target = hostContent.has(type) || type === "SRV" ? row.content.trim().toLowerCase().replace(/\.$/, "") : row.content;
    // A stored SRV row keeps its weight and port in columns of their own (the zone editor's form).
    const content = type === "SRV" && !/^\d+ \d+ /.test(target) ? `${row.weight ?? 0} ${row.port ?? 0} ${target || "."}` : target;
    const parsed = zoneRecordSchema.safeParse({ name: ownerName(zone, row.name), type, ttl: row.ttl, content, priority: type === "MX" || type === "SRV" ? (row.priority ?? 0) : null });
    if (parsed.success) customer.push(parsed.data);
  }
  const apexNs = customer.filter((r) => r.type === "NS" && r.name === zone);
  const nameservers = apexNs.length > 0 ? [...new Set(apexNs.map((r) => r.content))] : [...defaultNameservers];
  const platform: ZoneRecord[] = nameservers.map((ns) => ({ name: zone, type: "NS", ttl: nameserverTtl, content: ns, priority: null }));
  const managed = new Set<string>();
  if (domain._count.sites > 0) {
    for (const owner of [zone, `www.${zone}`]) {
      managed.add(owner);
      for (const address of [...nodeAddresses].sort()) {
        const type = isIPv4(address) ? "A" : isIPv6(address) ? "AAAA" : null;
        if (type) platform.push({ name: owner, type, ttl: platformAddressTtl, content: address, priority: null });
      }
    }
  }
  // Platform records win at their names: no customer A, AAAA or CNAME beside them (a CNAME
  // cannot share a name with other data), and the apex NS set is the platform's one above.
  const kept = customer.filter((r) => !(r.type === "NS" && r.name === zone) && !(managed.has(r.name) && (r.type === "A" || r.type === "AAAA" || r.type === "CNAME")));
  // A CNAME beside other data at the same name is invalid: the other data stays, the CNAME goes.
  const owners = new Map<string, number>();
  for (const r of [...platform, ...kept]) owners.set(r.name, (owners.get(r.name) ?? 0) + 1);
  const records = [...platform, ...kept.filter((r) => r.type !== "CNAME" || owners.get(r.name) === 1)];
  return { name: zone, primary: nameservers[0]!, contact: `hostmaster.${zone}`, records };
}

export const contentHash = (content: Omit<ZoneSpec, "serial">) => createHash("sha256").update(JSON.stringify(content)).digest("hex");

/**
 * Each changed zone's serial goes up (to the current Unix time, or by one when that is not
 * higher), in one statement, so serials are time-ordered even across a domain deleted and added
 * again, whose old zone file a node may still hold: concurrent builds (one per node)
 * that see the same new content bump it once between them, since the update only applies while
 * the stored hash differs, and Postgres re-checks that on the row the other build just wrote.
 */
async function ensureSerials(db: Db, wanted: { domainId: string; hash: string }[]): Promise<Map<string, number>> {
  const stored = await db.dnsZone.findMany({ where: { domainId: { in: wanted.map((w) => w.domainId) } }, select: { domainId: true, serial: true, contentHash: true } });
  const serials = new Map(stored.map((s) => [s.domainId, { serial: s.serial, hash: s.contentHash }]));
  const changed = wanted.filter((w) => serials.get(w.domainId)?.hash !== w.hash);
  if (changed.length > 0) {
    const ids = changed.map((c) => c.domainId);
    const hashes = changed.map((c) => c.hash);
    await db.$executeRaw`
      INSERT INTO "DnsZone" ("domainId", "serial", "contentHash", "updatedAt")
      SELECT id, extract(epoch FROM now())::int, hash, now() FROM unnest(${ids}::text[], ${hashes}::text[]) AS t(id, hash)
      ON CONFLICT ("domainId") DO UPDATE SET "serial" = GREATEST("DnsZone"."serial" + 1, extract(epoch FROM now())::int), "contentHash" = EXCLUDED."contentHash", "updatedAt" = now()
      WHERE "DnsZone"."contentHash" <> EXCLUDED."contentHash"`;
    const fresh = await db.dnsZone.findMany({ where: { domainId: { in: ids } }, select: { domainId: true, serial: true, contentHash: true } });
    for (const f of fresh) serials.set(f.domainId, { serial: f.serial, hash: f.contentHash });
  }
  return new Map(wanted.map((w) => [w.domainId, serials.get(w.domainId)!.serial]));
}

/** The live domains whose zones the nodes serve, with what their records are built from. */
function readDomains(db: Db): Promise<DomainRow[]> {
  return db.domain.findMany({
    where: { deletedAt: null, account: { deletedAt: null, status: { not: "TERMINATED" } } },
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      records: { where: { deletedAt: null }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { name: true, type: true, content: true, ttl: true, priority: true, weight: true, port: true } },
      _count: { select: { sites: { where: { deletedAt: null, status: { not: "TERMINATED" } } } } },
    },
  });
}

/** Every zone with its current serial, for the node spec (and for who checks the nodes' answers). */
export async function buildZones(db: Db): Promise<{ zones: ZoneSpec[]; domainIds: string[] }> {
  const [domains, nodes] = await Promise.all([readDomains(db), db.node.findMany({ where: { status: "HEALTHY" }, select: { address: true } })]);
  const addresses = [...new Set(nodes.map((n) => n.address))];
  const defaults = await platformDefaultNameservers(db);
  const contents = domains.map((d) => ({ domainId: d.id, content: zoneContent(d, addresses, defaults) }));
  const serials = await ensureSerials(db, contents.map((c) => ({ domainId: c.domainId, hash: contentHash(c.content) })));
  return {
    zones: contents.map((c) => ({ ...c.content, serial: serials.get(c.domainId)! })),
    domainIds: contents.map((c) => c.domainId),
  };
}
