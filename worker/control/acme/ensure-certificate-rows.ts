import type { Db } from "../../../server/db";

// Every live site gets a Certificate row for its domain, due at once: the order's first step finds
// out whether the domain points here yet (and the retry schedule takes it from there). One
// indexed query a tick when every site has its row. Idempotent (siteId is unique).

export async function ensureCertificateRows(db: Db, now = new Date()): Promise<number> {
  const sites = await db.site.findMany({
    where: { deletedAt: null, status: { not: "TERMINATED" }, domain: { deletedAt: null }, certificate: null },
    select: { id: true, domain: { select: { name: true } } },
    take: 1000,
  });
  if (sites.length === 0) return 0;
  const created = await db.certificate.createMany({
    data: sites.map((s) => ({ siteId: s.id, domains: [s.domain.name], nextAttemptAt: now })),
    skipDuplicates: true,
  });
  return created.count;
}
