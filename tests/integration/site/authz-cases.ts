import type { MatrixCase } from "../authz/matrix";
import { freshDomain, freshSite, tenantAccountId } from "../domain/authz-fixtures";

// Authorisation-matrix entries for the site router (spread into tests/integration/authz/cases.ts).
// At most three callers own a tenant's account, within the fixture plan's five sites.
export const siteCases: Record<string, MatrixCase> = {
  "site.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "site.get": { input: async (w, t) => ({ id: (await freshSite(w, t)).id }) },
  "site.create": {
    input: async (w, t) => ({ accountId: tenantAccountId(w, t), domainId: (await freshDomain(w, t)).id, app: "NONE" }),
  },
  "site.delete": { input: async (w, t) => ({ id: (await freshSite(w, t)).id }) },
};
