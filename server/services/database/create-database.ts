import { db } from "../../db";
import { AppError } from "../../errors";
import { parseAccountDatabaseName, parseAccountDatabaseUser } from "../../domain/database-name";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";
import { assertDatabaseAllowance, insertDatabase } from "./insert-database";

export type CreateDatabaseInput = {
  accountId?: string | null;
  /** The suffix ("shop") or the full name ("alice_shop"); checked against the account here. */
  name: string;
  /** The suffix or the full user name; defaults to the database name cut to the user limit. */
  username?: string | null;
};

// Users carry the account's prefix like database names do ("alice_shop"), so one customer can
// never take a user name another customer's app install would need (users are cluster-wide).
function accountDatabaseUser(account: string, input: string | null | undefined, databaseName: string): string {
  const parsed = parseAccountDatabaseUser(account, input ?? databaseName.slice(0, 32));
  if (!parsed.ok) throw AppError.field("username", parsed.error);
  return parsed.value;
}

export async function createDatabase(actor: Actor, input: CreateDatabaseInput): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
    const name = parseAccountDatabaseName(account.username, input.name);
    if (!name.ok) throw AppError.field("name", name.error);
    const username = accountDatabaseUser(account.username, input.username, name.value);
    await assertDatabaseAllowance(tx, account, "No database can be added");
    const database = await insertDatabase(tx, { accountId: account.id, siteId: null, name: name.value, username });
    const op = await startOperation(tx, actor, {
      kind: operationKind.databaseCreate,
      targetType: "Database",
      targetId: database.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [
        { kind: stepKind.database, target: name.value },
        { kind: stepKind.databaseUser, target: username },
      ],
    });
    await recordChange(tx, actor, {
      action: "database.create",
      targetType: "Database",
      targetId: database.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      after: { name: name.value, username, accountId: account.id },
      outbox: { topic: "database.reconcile", payload: { databaseId: database.id, operationId: op.id } },
    });
    return { id: database.id, operationId: op.id };
  });
}
