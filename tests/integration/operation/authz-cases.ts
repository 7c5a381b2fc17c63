import type { MatrixCase } from "../authz/matrix";
import { freshOperation, tenantAccountId } from "../domain/authz-fixtures";

// Authorisation-matrix entries for the operation router (spread into tests/integration/authz/cases.ts).
// operation.list by account: naming another tenant's account is NOT_FOUND (by target it would be
// an empty list, which operation.test.ts covers).
export const operationCases: Record<string, MatrixCase> = {
  "operation.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "operation.get": { input: async (w, t) => ({ id: (await freshOperation(w, t)).id }) },
};
