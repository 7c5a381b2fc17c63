import { db } from "../../db";
import { AppError } from "../../errors";
import type { Prisma } from "../../generated/prisma/client";
import type { Scope } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { apiTokenSelect, type ApiTokenRow } from "./api-token-select";

/** Whose tokens a scope may revoke: a customer its own; a reseller any in its tree; an admin any. */
export function apiTokenWhere(scope: Scope): Prisma.ApiTokenWhereInput {
  if (scope.kind === "admin") return {};
  if (scope.kind === "reseller") return { resellerId: { in: scope.resellerIds } };
  return { userId: scope.userId };
}

/** Immediate: the next call with the token is refused (nothing caches a token). Revoking twice is a no-op. */
export async function revokeApiToken(actor: Actor, id: string): Promise<ApiTokenRow> {
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.findFirst({ where: { AND: [{ id }, apiTokenWhere(actor.scope)] }, select: { ...apiTokenSelect, resellerId: true } });
    if (!token) throw AppError.notFound("Token");
    if (token.revokedAt) {
      const { resellerId: _r, ...row } = token;
      return row;
    }
    const row = await tx.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() }, select: apiTokenSelect });
    await recordChange(tx, actor, {
      action: "apiToken.revoke",
      targetType: "ApiToken",
      targetId: row.id,
      resellerId: token.resellerId,
      before: { name: row.name, prefix: row.prefix },
    });
    return row;
  });
}
