import type { MatrixCase } from "./matrix";
import { resellerCases } from "../reseller/authz-cases";
import { planCases } from "../plan/authz-cases";
import { customerCases } from "../customer/authz-cases";
import { auditCases } from "../audit/authz-cases";
import { sessionCases } from "../auth/authz-cases";

// One entry per procedure; see matrix.ts for what each field means.
export const cases: Record<string, MatrixCase> = {
  ...resellerCases,
  ...planCases,
  ...customerCases,
  ...auditCases,
  ...sessionCases,
};
