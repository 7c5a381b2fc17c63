import type { MatrixCase } from "../authz/matrix";
import { tenantAccountId } from "../domain/authz-fixtures";

// Authorisation-matrix entries for the dashboard router (spread into tests/integration/authz/cases.ts).
export const dashboardCases: Record<string, MatrixCase> = {
  "dashboard.get": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
};
