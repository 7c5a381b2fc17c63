import type { MatrixCase } from "../authz/matrix";

// Authorisation-matrix entries for the audit router (spread into tests/integration/authz/cases.ts).
export const auditCases: Record<string, MatrixCase> = {
  "audit.list": { plainInput: {} },
};
