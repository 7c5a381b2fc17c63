import { lastKnownHostBrand } from "../services/brand/last-known-brand";
import type { DatabaseProbe } from "./database-probe";
import { maintenancePage, maintenanceProblem } from "./maintenance-response";
import { normaliseHost } from "./request-host";

// The proxy's first question on every page and API request: can the database be reached? If not,
// the request is answered here (503, maintenance) instead of reaching a page that would fail half
// rendered. The hosted sites do not depend on the panel's database, and the answer says so.

/** Paths whose clients are programs, answered with problem+json rather than a page. */
export const isApiPath = (pathname: string) => pathname.startsWith("/api/");

/** The maintenance answer for this request, or null when the database answers. */
export async function maintenanceAnswer(probe: DatabaseProbe, pathname: string, host: string | null): Promise<Response | null> {
  if (await probe.up()) return null;
  return isApiPath(pathname) ? maintenanceProblem() : maintenancePage(lastKnownHostBrand(normaliseHost(host)));
}
