import type { MatrixCase } from "../authz/matrix";
import { fresh, freshDatabase, tenantAccountId } from "../domain/authz-fixtures";

// Authorisation-matrix entries for the database router (spread into tests/integration/authz/cases.ts).
export const databaseCases: Record<string, MatrixCase> = {
  "database.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "database.create": { input: async (w, t) => ({ accountId: tenantAccountId(w, t), name: fresh("m") }) },
  "database.delete": { input: async (w, t) => ({ id: (await freshDatabase(w, t)).id }) },
};
