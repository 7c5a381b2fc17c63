import type { Db, Tx } from "../../db";
import { domainWhere, type Scope } from "../../auth/scope";
import { platformRecords } from "../../domain/dns-record/platform-records";
import type { ZoneRecord } from "../../domain/dns-record/types";
import { AppError } from "../../errors";
import { resellerNameservers } from "./nameservers";

export type ZoneDomain = { id: string; accountId: string; name: string; displayName: string; generation: number; resellerId: string; customerId: string };

/** A domain the scope may see (another tenant's reads as not found), with its owner's ids. */
export async function findZoneDomain(db: Db | Tx, scope: Scope, input: { domainId: string; accountId?: string | null }): Promise<ZoneDomain> {
  const row = await db.domain.findFirst({
    where: { id: input.domainId, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...domainWhere(scope) },
    select: {
      id: true,
      accountId: true,
      name: true,
      displayName: true,
      generation: true,
      account: { select: { customerId: true, customer: { select: { resellerId: true } } } },
    },
  });
  if (!row) throw AppError.notFound("Domain");
  const { account, ...domain } = row;
  return { ...domain, customerId: account.customerId, resellerId: account.customer.resellerId };
}

export type StoredRecord = ZoneRecord & { id: string };

/** The customer's records (never the platform's managed copies) in a stable order. */
export async function customerRecords(db: Db | Tx, domainId: string): Promise<StoredRecord[]> {
  return db.dnsRecord.findMany({
    where: { domainId, deletedAt: null, managed: false },
    orderBy: [{ name: "asc" }, { type: "asc" }, { content: "asc" }, { id: "asc" }],
    select: { id: true, name: true, type: true, ttl: true, content: true, priority: true, weight: true, port: true },
  });
}

/** What the platform answers in this zone: its nameservers, and its site's node addresses. */
export async function zonePlatformRecords(db: Db | Tx, domain: ZoneDomain): Promise<{ records: ZoneRecord[]; nameservers: string[] }> {
  const { nameservers } = await resellerNameservers(db, domain.resellerId);
  const site = await db.site.findFirst({ where: { domainId: domain.id, deletedAt: null }, select: { id: true } });
  const nodes = site ? await db.node.findMany({ where: { status: "HEALTHY" }, select: { address: true } }) : [];
  return { records: platformRecords({ nameservers, siteAddresses: nodes.map((n) => n.address) }), nameservers };
}
