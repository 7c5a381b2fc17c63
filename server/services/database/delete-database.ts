import { db } from "../../db";
import { AppError } from "../../errors";
import { databaseWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";
import { softDeleteDatabases } from "./insert-database";

export async function deleteDatabase(actor: Actor, input: { id: string; accountId?: string | null }): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const found = await tx.database.findFirst({
      where: { id: input.id, deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}), ...databaseWhere(actor.scope) },
      select: { accountId: true },
    });
    if (!found) throw AppError.notFound("Database");
    const account = await resolveWritableAccount(tx, actor.scope, found.accountId);
    const database = await tx.database.findFirst({
      where: { id: input.id, deletedAt: null },
      select: {
        id: true,
        name: true,
        users: { where: { deletedAt: null }, select: { username: true } },
        site: { select: { deletedAt: true, domain: { select: { displayName: true } } } },
      },
    });
    if (!database) throw AppError.notFound("Database");
    // An app's database goes with its site; dropping it alone would break the site.
    if (database.site && !database.site.deletedAt) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `This database belongs to the site on ${database.site.domain.displayName}. Delete the site to remove it.`,
      );
    }
    await softDeleteDatabases(tx, [database.id], new Date());
    const op = await startOperation(tx, actor, {
      kind: operationKind.databaseDelete,
      targetType: "Database",
      targetId: database.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [
        ...database.users.map((u) => ({ kind: stepKind.databaseUser, target: u.username })),
        { kind: stepKind.database, target: database.name },
      ],
    });
    await recordChange(tx, actor, {
      action: "database.delete",
      targetType: "Database",
      targetId: database.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      before: { name: database.name, users: database.users.map((u) => u.username) },
      outbox: { topic: "database.reconcile", payload: { databaseId: database.id, operationId: op.id } },
    });
    return { id: database.id, operationId: op.id };
  });
}
