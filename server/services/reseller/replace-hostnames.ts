import { platformHostname } from "../../auth/panel-host";
import type { Tx } from "../../db";
import { isUnder, selfAndParents } from "../../domain/dns-name";
import { AppError } from "../../errors";

/**
 * Why a panel hostname is reserved for someone else, or null. Reserved: the platform's own panel
 * host (and, when it has a parent domain, the names under it), the cluster's node names and
 * addresses, and every domain attached to a hosting account, together with the names under it
 * unless that account is in this reseller's own tree (a reseller may put its panel on a subdomain
 * of a domain it or its customers host; it may never take the exact name a site answers on).
 */
async function reservedFor(tx: Tx, resellerPath: string, hostnames: string[]): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  const platform = platformHostname();
  const platformTree = platform.includes(".") ? (h: string) => isUnder(h, platform) : (h: string) => h === platform;
  const nodes = await tx.node.findMany({ select: { name: true, address: true } });
  const nodeNames = new Set(nodes.flatMap((n) => [n.name.toLowerCase(), n.address.toLowerCase()]));
  const domains = await tx.domain.findMany({
    where: { deletedAt: null, name: { in: [...new Set(hostnames.flatMap(selfAndParents))] } },
    select: { name: true, account: { select: { customer: { select: { reseller: { select: { path: true } } } } } } },
  });
  for (const h of hostnames) {
    if (platformTree(h)) reasons.set(h, `${h} is the platform's own panel address and cannot be used.`);
    else if (nodeNames.has(h)) reasons.set(h, `${h} names a server of the cluster and cannot be used.`);
    else {
      const domain = domains.find(
        (d) => d.name === h || (isUnder(h, d.name) && !d.account.customer.reseller.path.startsWith(resellerPath)),
      );
      if (domain) reasons.set(h, `${h} is a website's address already in use and cannot be a panel address.`);
    }
  }
  return reasons;
}

/**
 * Makes a reseller's panel hostnames exactly `hostnames` (already parsed and lower-cased). A name
 * another reseller holds, or a reserved one (reservedFor), is a field error on its row of the form; the unique index still decides
 * if two transactions race (the caller turns that violation into a field error too).
 */
export async function replaceHostnames(tx: Tx, resellerId: string, hostnames: string[]): Promise<void> {
  if (hostnames.length > 0) {
    const reseller = await tx.reseller.findUniqueOrThrow({ where: { id: resellerId }, select: { path: true } });
    const reserved = await reservedFor(tx, reseller.path, hostnames);
    if (reserved.size > 0) {
      const fieldErrors: Record<string, string> = {};
      hostnames.forEach((h, i) => {
        const reason = reserved.get(h);
        if (reason) fieldErrors[`hostnames.${i}`] = reason;
      });
      throw new AppError("BAD_INPUT", Object.values(fieldErrors)[0]!, fieldErrors);
    }
    const taken = await tx.brandHostname.findMany({
      where: { hostname: { in: hostnames }, resellerId: { not: resellerId } },
      select: { hostname: true },
    });
    if (taken.length > 0) {
      const takenSet = new Set(taken.map((t) => t.hostname));
      const fieldErrors: Record<string, string> = {};
      hostnames.forEach((h, i) => {
        if (takenSet.has(h)) fieldErrors[`hostnames.${i}`] = `${h} is already used by another panel.`;
      });
      throw new AppError("ALREADY_EXISTS", Object.values(fieldErrors)[0]!, fieldErrors);
    }
  }
  await tx.brandHostname.deleteMany({ where: { resellerId, hostname: { notIn: hostnames } } });
  const kept = await tx.brandHostname.findMany({ where: { resellerId }, select: { hostname: true } });
  const keptSet = new Set(kept.map((k) => k.hostname));
  // No skipDuplicates: a concurrent claim by another reseller must fail here, not be skipped.
  await tx.brandHostname.createMany({
    data: hostnames.filter((h) => !keptSet.has(h)).map((hostname) => ({ resellerId, hostname })),
  });
}

export function hostnameRaceError(): AppError {
  return AppError.field("hostnames", "One of these hostnames was just taken by another panel; try again.", "ALREADY_EXISTS");
}
