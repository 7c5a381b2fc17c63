import type { Db, Tx } from "../../db";

/**
 * The nameservers a reseller's domains are delegated to: its brand's own when it set some, else
 * the platform's brand-neutral defaults (platform settings), so a new reseller needs none.
 */
export async function resellerNameservers(db: Db | Tx, resellerId: string): Promise<{ nameservers: string[]; own: boolean }> {
  const brand = await db.brand.findUnique({ where: { resellerId }, select: { nameservers: true } });
  if (brand && brand.nameservers.length > 0) return { nameservers: brand.nameservers, own: true };
  const settings = await db.platformSettings.findUnique({ where: { id: 1 }, select: { defaultNameservers: true } });
  return { nameservers: settings?.defaultNameservers ?? [], own: false };
}
