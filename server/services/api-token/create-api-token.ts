import { db } from "../../db";
import { AppError } from "../../errors";
import { grantableScopes } from "../../auth/token-scopes";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { apiTokenSelect, type ApiTokenRow } from "./api-token-select";
import { newTokenSecret } from "./token-secret";

export type CreateApiTokenInput = { name: string; scopes: string[]; allowedCidrs: string[]; expiresAt: Date | null };

/** A token for the signed-in person. The secret is in the answer and nowhere else, ever. */
export async function createApiToken(actor: Actor, role: Parameters<typeof grantableScopes>[0], input: CreateApiTokenInput): Promise<{ token: string; apiToken: ApiTokenRow }> {
  const { scope } = actor;
  if (actor.impersonatorId) throw new AppError("FORBIDDEN", "Tokens cannot be created while logged in as someone else.");
  // A token never exceeds its owner: only scopes the owner's role can use at all are offered.
  const allowed = new Set<string>(grantableScopes(role));
  const refused = input.scopes.filter((s) => !allowed.has(s));
  if (refused.length) throw AppError.field("scopes", `Not available to you: ${refused.join(", ")}.`);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw AppError.field("expiresAt", "Choose a time in the future.");
  const secret = newTokenSecret();
  const apiToken = await db.$transaction(async (tx) => {
    const row = await tx.apiToken.create({
      data: {
        resellerId: scope.resellerId,
        userId: scope.userId,
        name: input.name,
        prefix: secret.prefix,
        secretHash: secret.secretHash,
        scopes: [...new Set(input.scopes)].sort(),
        allowedCidrs: input.allowedCidrs,
        expiresAt: input.expiresAt,
      },
      select: apiTokenSelect,
    });
    await recordChange(tx, actor, {
      action: "apiToken.create",
      targetType: "ApiToken",
      targetId: row.id,
      resellerId: scope.resellerId,
      customerId: scope.kind === "customer" ? scope.customerId : null,
      after: { name: row.name, prefix: row.prefix, scopes: row.scopes, allowedCidrs: row.allowedCidrs, expiresAt: row.expiresAt?.toISOString() ?? null },
    });
    return row;
  });
  return { token: secret.token, apiToken };
}
