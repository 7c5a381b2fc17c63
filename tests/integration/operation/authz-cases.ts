import { db } from "../../../server/db";
import type { MatrixCase, Tenant, World } from "../authz/matrix";
import { freshOperation, freshSite, tenantAccountId, tenantCustomer } from "../domain/authz-fixtures";

/** A site.create that failed on a node step, ready to be retried. */
export async function freshFailedOperation(w: World, t: Tenant) {
  const c = tenantCustomer(w, t);
  const site = await freshSite(w, t);
  return db.operation.create({
    data: {
      kind: "site.create",
      targetType: "Site",
      targetId: site.id,
      status: "FAILED",
      lastError: "The node refused this",
      resellerId: c.customer.resellerId,
      customerId: c.customer.id,
      steps: { create: [{ index: 0, kind: "site store", target: "x", status: "FAILED", attempts: 1, lastError: "The node refused this" }] },
    },
    select: { id: true },
  });
}

// Authorisation-matrix entries for the operation router (spread into tests/integration/authz/cases.ts).
// operation.list by account: naming another tenant's account is NOT_FOUND (by target it would be
// an empty list, which operation.test.ts covers).
export const operationCases: Record<string, MatrixCase> = {
  "operation.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "operation.get": { input: async (w, t) => ({ id: (await freshOperation(w, t)).id }) },
  "operation.retry": { input: async (w, t) => ({ id: (await freshFailedOperation(w, t)).id }) },
};
