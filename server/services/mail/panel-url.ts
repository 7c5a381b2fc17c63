import { db, type Db, type Tx } from "../../db";
import { env } from "../../env";

/**
 * The panel's base URL as a reseller's users know it: the reseller's first panel hostname, with
 * PANEL_URL's scheme and port (so dev links read http://panel.reseller-one.localhost:3000), or
 * PANEL_URL itself when the reseller has no hostname of its own.
 */
export async function panelUrlFor(resellerId: string, client: Db | Tx = db): Promise<string> {
  const first = await client.brandHostname.findFirst({
    where: { resellerId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { hostname: true },
  });
  const url = new URL(env.PANEL_URL);
  if (first) url.hostname = first.hostname;
  return url.origin;
}
