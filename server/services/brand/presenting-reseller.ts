import { db, type Db, type Tx } from "../../db";
import { ancestorIds } from "../../domain/reseller-path";

/**
 * The reseller a reseller's users see the panel through: itself when it has a panel hostname,
 * else its nearest ancestor that has one (a sub-reseller without a hostname lives under its
 * parent's host and brand), else itself on the platform's host. The platform root is never
 * chosen for a reseller's users, so they never get the platform's name.
 */
export async function presentingReseller(
  resellerId: string,
  client: Db | Tx = db,
): Promise<{ resellerId: string; hostname: string | null }> {
  const own = await client.reseller.findUnique({ where: { id: resellerId }, select: { path: true, isPlatform: true } });
  if (!own) return { resellerId, hostname: null };
  // Nearest first: the reseller itself, then its parent, up to (not including) the platform root.
  const chain = [resellerId, ...ancestorIds(own.path, resellerId).reverse()];
  const hosts = await client.brandHostname.findMany({
    where: { resellerId: { in: chain }, reseller: own.isPlatform ? {} : { isPlatform: false } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { resellerId: true, hostname: true },
  });
  for (const id of chain) {
    const first = hosts.find((h) => h.resellerId === id);
    if (first) return { resellerId: id, hostname: first.hostname };
  }
  return { resellerId, hostname: null };
}
