import { db, type Db, type Tx } from "../../db";
import { env } from "../../env";
import { presentingReseller } from "../brand/presenting-reseller";

/**
 * The panel's base URL as a reseller's users know it: the presenting reseller's first panel
 * hostname, with PANEL_URL's scheme and port (so dev links read http://panel.reseller-one.localhost:3000),
 * or PANEL_URL itself when no reseller up the tree has a hostname.
 */
export async function panelUrlFor(resellerId: string, client: Db | Tx = db): Promise<string> {
  const { hostname } = await presentingReseller(resellerId, client);
  const url = new URL(env.PANEL_URL);
  if (hostname) url.hostname = hostname;
  return url.origin;
}
