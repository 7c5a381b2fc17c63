import type { MatrixCase } from "../authz/matrix";
import { fresh, freshDomain, tenantAccountId } from "./authz-fixtures";

// Authorisation-matrix entries for the domain router (spread into tests/integration/authz/cases.ts).
export const domainCases: Record<string, MatrixCase> = {
  "domain.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "domain.get": { input: async (w, t) => ({ id: (await freshDomain(w, t)).id }) },
  "domain.create": { input: async (w, t) => ({ accountId: tenantAccountId(w, t), name: `${fresh("matrix-new-")}.test` }) },
  "domain.delete": { input: async (w, t) => ({ id: (await freshDomain(w, t)).id }) },
};
