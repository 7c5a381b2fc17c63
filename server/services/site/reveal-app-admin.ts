import { db } from "../../db";
import { AppError } from "../../errors";
import { siteWhere } from "../../auth/scope";
import { appAdminPassword } from "../../contract/cluster-secrets";
import { appEntry } from "../../domain/app-catalog";
import { operationKind } from "../../domain/operation-kinds";
import type { OperationStatus, SiteApp } from "../../generated/prisma/enums";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";

export type AppAdminLogin = { username: string; password: string; loginUrl: string };

export const appAdminKeyMissingMessage = "The admin password cannot be shown: the app-admin key is not configured.";

/** The site's address as a browser opens it (the edges serve plain HTTP until TLS arrives). */
export function siteUrl(domainName: string): string {
  return `http://${domainName}/`;
}

/**
 * Whether the once-only admin login can be shown now: the app has an installer and an admin login,
 * its install (the site.create operation) finished, and nobody has seen the password yet.
 */
export function appAdminRevealable(site: { app: SiteApp; appAdminShownAt: Date | null; createStatus: OperationStatus | null }): boolean {
  const app = appEntry(site.app);
  return app.installer !== null && app.adminLoginPath !== null && site.appAdminShownAt === null && site.createStatus === "SUCCEEDED";
}

/** The status of each site's newest site.create operation: the install the password belongs to. */
export async function latestCreateStatuses(siteIds: string[]): Promise<Map<string, OperationStatus>> {
  if (siteIds.length === 0) return new Map();
  const ops = await db.operation.findMany({
    where: { kind: operationKind.siteCreate, targetType: "Site", targetId: { in: siteIds } },
    orderBy: [{ targetId: "asc" }, { createdAt: "desc" }, { id: "desc" }],
    distinct: ["targetId"],
    select: { targetId: true, status: true },
  });
  return new Map(ops.map((o) => [o.targetId, o.status]));
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

function alreadyShown(at: Date, appLabel: string): AppError {
  return new AppError(
    "PRECONDITION_FAILED",
    `The admin password was already shown on ${dateFormat.format(at)} UTC. Change it in ${appLabel}'s own profile page.`,
  );
}

/**
 * Shows an installed app's first admin login exactly once. The password is derived from the
 * app-admin purpose key (never stored); the conditional update on appAdminShownAt is the once-only gate,
 * so of two concurrent calls Postgres lets one row update through and the other sees it taken.
 * The audit row says that it was shown and to whom, never the password.
 */
export async function revealAppAdmin(actor: Actor, input: { id: string }, appAdminKey: string | undefined): Promise<AppAdminLogin> {
  const site = await db.site.findFirst({
    where: { id: input.id, deletedAt: null, ...siteWhere(actor.scope) },
    select: {
      id: true,
      app: true,
      appAdminShownAt: true,
      domain: { select: { name: true } },
      account: { select: { customerId: true, customer: { select: { resellerId: true } } } },
    },
  });
  if (!site) throw AppError.notFound("Site");
  const app = appEntry(site.app);
  if (!app.installer || !app.adminLoginPath) {
    throw new AppError("PRECONDITION_FAILED", "This site has no installed app with an admin login.");
  }
  if (site.appAdminShownAt) throw alreadyShown(site.appAdminShownAt, app.label);
  const createStatus = (await latestCreateStatuses([site.id])).get(site.id) ?? null;
  if (createStatus !== "SUCCEEDED") {
    throw new AppError("PRECONDITION_FAILED", `${app.label} is not installed yet: the admin login can be shown once the site is live.`);
  }
  // Checked before the update: a panel without the key must not use up the only reveal.
  if (!appAdminKey) throw new AppError("PRECONDITION_FAILED", appAdminKeyMissingMessage);

  const username = app.adminUsernameDefault ?? "admin";
  await db.$transaction(async (tx) => {
    const now = new Date();
    const won = await tx.site.updateMany({ where: { id: site.id, appAdminShownAt: null }, data: { appAdminShownAt: now } });
    if (won.count === 0) {
      const taken = await tx.site.findUnique({ where: { id: site.id }, select: { appAdminShownAt: true } });
      throw alreadyShown(taken?.appAdminShownAt ?? now, app.label);
    }
    await recordChange(tx, actor, {
      action: "site.revealAppAdmin",
      targetType: "Site",
      targetId: site.id,
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customerId,
      after: { domain: site.domain.name, app: site.app, username, shownAt: now.toISOString() },
    });
  });
  return {
    username,
    password: appAdminPassword(appAdminKey, site.id),
    loginUrl: `http://${site.domain.name}${app.adminLoginPath}`,
  };
}
