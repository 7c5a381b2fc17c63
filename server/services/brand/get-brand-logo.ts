import { db } from "../../db";

/**
 * The stored logo for the public logo route. Logos are shown on sign-in pages, before anyone is
 * signed in, so there is no tenant scope: the bytes are our own PNG re-encode, never the upload.
 */
export async function getBrandLogo(resellerId: string): Promise<{ png: Uint8Array; updatedAt: Date } | null> {
  const row = await db.brand.findFirst({
    where: { resellerId, logoPng: { not: null } },
    select: { logoPng: true, logoUpdatedAt: true },
  });
  if (!row?.logoPng || !row.logoUpdatedAt) return null;
  return { png: row.logoPng, updatedAt: row.logoUpdatedAt };
}
