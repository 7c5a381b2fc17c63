import { db } from "../../../server/db";
import { newTokenSecret } from "../../../server/services/api-token/token-secret";
import type { MatrixCase, Tenant, World } from "../authz/matrix";

// Authorisation-matrix entries for the API token router (spread into tests/integration/authz/cases.ts).
// A tenant's token is its customer's: the customer, its reseller (tree) and an admin may revoke it.

const tenantCustomerUser = (w: World, t: Tenant) => (t === "A" ? w.users.customerA : t === "B" ? w.users.customerB : w.users.customerSubA);

export async function makeToken(user: { id: string; resellerId: string }, scopes: string[] = ["sites:read"], extra: { allowedCidrs?: string[]; expiresAt?: Date | null } = {}) {
  const secret = newTokenSecret();
  const row = await db.apiToken.create({
    data: { userId: user.id, resellerId: user.resellerId, name: "test token", prefix: secret.prefix, secretHash: secret.secretHash, scopes, allowedCidrs: extra.allowedCidrs ?? [], expiresAt: extra.expiresAt ?? null },
  });
  return { id: row.id, token: secret.token };
}

export const apiTokenCases: Record<string, MatrixCase> = {
  "apiToken.list": { plainInput: {} },
  "apiToken.create": { plainInput: { name: "Matrix token", scopes: ["domains:read"] } },
  "apiToken.revoke": { input: async (w, t) => ({ id: (await makeToken(tenantCustomerUser(w, t))).id }) },
};
