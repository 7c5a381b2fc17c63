import type { Tx } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";

export const databaseNameTakenMessage = "A database with this name already exists.";
export const databaseUserTakenMessage = "A database user with this name already exists.";

/**
 * The desired rows for one MariaDB database and its user. No password is stored: the node fleet
 * generates it when it creates the user and hands it to the site (or the customer) directly.
 * Unique violations on the live-name indexes become field errors on the form's fields.
 */
export async function insertDatabase(
  tx: Tx,
  row: { accountId: string; siteId: string | null; name: string; username: string },
): Promise<{ id: string }> {
  let database: { id: string };
  try {
    database = await tx.database.create({
      data: { accountId: row.accountId, siteId: row.siteId, name: row.name },
      select: { id: true },
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("name", databaseNameTakenMessage, "ALREADY_EXISTS");
    throw e;
  }
  try {
    await tx.databaseUser.create({ data: { databaseId: database.id, username: row.username }, select: { id: true } });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("username", databaseUserTakenMessage, "ALREADY_EXISTS");
    throw e;
  }
  return database;
}

/** Live databases count against the plan whether a person or an app install created them. */
export async function assertDatabaseAllowance(
  tx: Tx,
  account: { id: string; plan: { name: string; maxDatabases: number } },
  why: string,
): Promise<void> {
  const used = await tx.database.count({ where: { accountId: account.id, deletedAt: null } });
  if (used >= account.plan.maxDatabases) {
    throw new AppError(
      "LIMIT_EXCEEDED",
      `${why}: your plan "${account.plan.name}" allows ${account.plan.maxDatabases} database${account.plan.maxDatabases === 1 ? "" : "s"} and all are in use. Delete one or ask your provider for a larger plan.`,
    );
  }
}

/** Soft-deletes databases and their users, bumping generations so a worker drops them. */
export async function softDeleteDatabases(tx: Tx, databaseIds: string[], now: Date): Promise<void> {
  if (databaseIds.length === 0) return;
  await tx.database.updateMany({
    where: { id: { in: databaseIds }, deletedAt: null },
    data: { deletedAt: now, generation: { increment: 1 } },
  });
  await tx.databaseUser.updateMany({
    where: { databaseId: { in: databaseIds }, deletedAt: null },
    data: { deletedAt: now, generation: { increment: 1 } },
  });
}
