import { createLogin } from "../../auth/create-login";
import { resellerWhere } from "../../auth/scope";
import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { hostnameRaceError, replaceHostnames } from "./replace-hostnames";
import { resellerSelect, toResellerView, type ResellerView } from "./reseller-view";

export type CreateResellerInput = {
  name: string;
  displayName: string;
  hostnames: string[];
  login: { email: string; name: string; password?: string };
};

/**
 * Creates a reseller under the caller's own reseller: an admin's is the platform root (a top-level
 * reseller), a reseller's is itself (a sub-reseller). The first login is created in the same
 * transaction, so a taken email leaves no reseller behind.
 */
export async function createReseller(actor: Actor, input: CreateResellerInput): Promise<ResellerView> {
  const { scope } = actor;
  try {
    return await db.$transaction(async (tx) => {
      const parent = await tx.reseller.findFirst({
        where: { AND: [{ id: scope.resellerId, status: "ACTIVE" }, resellerWhere(scope)] },
        select: { id: true, path: true },
      });
      if (!parent) throw AppError.notFound("Reseller");

      // The path ends with the row's own id, which Postgres only knows after the insert.
      const created = await tx.reseller.create({
        data: { name: input.name, parentId: parent.id, path: parent.path, brand: { create: { displayName: input.displayName } } },
        select: { id: true },
      });
      await tx.reseller.update({ where: { id: created.id }, data: { path: `${parent.path}${created.id}/` } });
      await replaceHostnames(tx, created.id, input.hostnames);
      await createFirstLogin(tx, created.id, input.login);

      await recordChange(tx, actor, {
        action: "reseller.create",
        targetType: "Reseller",
        targetId: created.id,
        resellerId: parent.id,
        after: { name: input.name, displayName: input.displayName, hostnames: input.hostnames, loginEmail: input.login.email },
        outbox: { topic: "reseller.changed", payload: { resellerId: created.id } },
      });
      const row = await tx.reseller.findUniqueOrThrow({ where: { id: created.id }, select: resellerSelect });
      return toResellerView(row);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw hostnameRaceError();
    throw e;
  }
}

// createLogin names its fields email/name/password; on this form they sit under "login".
async function createFirstLogin(
  tx: Parameters<typeof createLogin>[0],
  resellerId: string,
  login: CreateResellerInput["login"],
): Promise<void> {
  try {
    await createLogin(tx, { ...login, role: "RESELLER", resellerId });
  } catch (e) {
    if (e instanceof AppError && e.fieldErrors) {
      const prefixed = Object.fromEntries(Object.entries(e.fieldErrors).map(([k, v]) => [`login.${k}`, v]));
      throw new AppError(e.code, e.message, prefixed);
    }
    throw e;
  }
}
