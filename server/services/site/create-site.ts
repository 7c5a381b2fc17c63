import { db, type Tx } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { SiteApp } from "../../generated/prisma/enums";
import { appEntry } from "../../domain/app-catalog";
import { operationKind, stepKind } from "../../domain/operation-kinds";
import { parseAccountDatabaseName, parseAccountDatabaseUser } from "../../domain/database-name";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount, type ResolvedAccount } from "../account/resolve-account";
import { assertDatabaseAllowance, insertDatabase } from "../database/insert-database";
import { startOperation, type OperationStepSpec } from "../operation/start-operation";

export type CreateSiteInput = {
  accountId?: string | null;
  domainId: string;
  app: SiteApp;
  phpVersion: string;
  /** Already validated by the procedure's relative-path grammar. */
  documentRoot: string;
};

export const siteDomainTakenMessage = "This domain already has a site.";

// MariaDB user names are limited to 32 characters; a database name can be longer.
function userFor(databaseName: string): string {
  return databaseName.slice(0, 32);
}

/**
 * The first free `<username>_wp`, `<username>_wp2`, ... with a free user name to match: a customer
 * installing a second WordPress gets a second database rather than an error.
 */
async function chooseAppDatabase(tx: Tx, account: ResolvedAccount, suffix: string): Promise<{ name: string; username: string }> {
  const candidates: { name: string; username: string }[] = [];
  for (let n = 1; n <= 20; n++) {
    const name = parseAccountDatabaseName(account.username, n === 1 ? suffix : `${suffix}${n}`);
    if (!name.ok) continue;
    const user = parseAccountDatabaseUser(account.username, userFor(name.value));
    if (user.ok) candidates.push({ name: name.value, username: user.value });
  }
  const [dbs, users] = await Promise.all([
    tx.database.findMany({ where: { deletedAt: null, name: { in: candidates.map((c) => c.name) } }, select: { name: true } }),
    tx.databaseUser.findMany({
      where: { deletedAt: null, username: { in: candidates.map((c) => c.username) } },
      select: { username: true },
    }),
  ]);
  const takenNames = new Set(dbs.map((d) => d.name));
  const takenUsers = new Set(users.map((u) => u.username));
  const free = candidates.find((c) => !takenNames.has(c.name) && !takenUsers.has(c.username));
  if (!free) {
    throw new AppError("CONFLICT", "No free database name is left for this app. Delete an unused database and try again.");
  }
  return free;
}

/**
 * One transaction writes the Site, the app's Database and DatabaseUser when it needs one, an
 * Operation with every step a node will run (all PENDING), and audit + outbox.
 */
export async function createSite(actor: Actor, input: CreateSiteInput): Promise<{ id: string; operationId: string }> {
  const app = appEntry(input.app);
  // The procedure's schema refuses it too; this guards every other caller of the service.
  if (!app.available) throw AppError.field("app", app.unavailableReason ?? `${app.label} is not offered.`);
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
    const domain = await freeDomain(tx, account, input.domainId);
    await assertSiteAllowance(tx, account);
    const appDatabase = app.database ? await chooseAppDatabase(tx, account, app.database.suffix) : null;
    if (appDatabase) await assertDatabaseAllowance(tx, account, `${app.label} needs a database`);
    const site = await insertSite(tx, account, domain, input);
    const database = appDatabase ? await insertDatabase(tx, { accountId: account.id, siteId: site.id, ...appDatabase }) : null;
    const op = await startOperation(tx, actor, {
      kind: operationKind.siteCreate,
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: createSteps(account, domain, app, appDatabase),
    });
    await recordChange(tx, actor, {
      action: "site.create",
      targetType: "Site",
      targetId: site.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      after: {
        domain: domain.name,
        app: input.app,
        phpVersion: input.phpVersion,
        documentRoot: input.documentRoot,
        ...(appDatabase && database ? { databaseId: database.id, database: appDatabase.name } : {}),
      },
      outbox: { topic: "site.reconcile", payload: { siteId: site.id, operationId: op.id } },
    });
    return { id: site.id, operationId: op.id };
  });
}

/** One of the account's domains that no live site uses yet. */
async function freeDomain(tx: Tx, account: ResolvedAccount, domainId: string): Promise<{ id: string; name: string }> {
  const domain = await tx.domain.findFirst({
    where: { id: domainId, accountId: account.id, deletedAt: null },
    select: { id: true, name: true },
  });
  if (!domain) throw AppError.field("domainId", "Choose one of this account's domains.", "NOT_FOUND");
  if (await tx.site.findFirst({ where: { domainId: domain.id, deletedAt: null }, select: { id: true } })) {
    throw AppError.field("domainId", siteDomainTakenMessage, "ALREADY_EXISTS");
  }
  return domain;
}

async function assertSiteAllowance(tx: Tx, account: ResolvedAccount): Promise<void> {
  const sites = await tx.site.count({ where: { accountId: account.id, deletedAt: null } });
  if (sites >= account.plan.maxSites) {
    throw new AppError(
      "LIMIT_EXCEEDED",
      `Your plan "${account.plan.name}" allows ${account.plan.maxSites} site${account.plan.maxSites === 1 ? "" : "s"} and all are in use. Delete a site or ask your provider for a larger plan.`,
    );
  }
}

async function insertSite(tx: Tx, account: ResolvedAccount, domain: { id: string }, input: CreateSiteInput): Promise<{ id: string }> {
  try {
    return await tx.site.create({
      data: {
        accountId: account.id,
        domainId: domain.id,
        app: input.app,
        phpVersion: input.phpVersion,
        documentRoot: input.documentRoot,
      },
      select: { id: true },
    });
  } catch (e) {
    // Site_domainId_live_key: a racing request on another account lock cannot reach here (the
    // domain belongs to this account), but the index is the final word.
    if (isUniqueViolation(e)) throw AppError.field("domainId", siteDomainTakenMessage, "ALREADY_EXISTS");
    throw e;
  }
}

/** Every step a node will run for the new site, in order. */
function createSteps(account: ResolvedAccount, domain: { name: string }, app: ReturnType<typeof appEntry>, appDatabase: { name: string } | null): OperationStepSpec[] {
  return [
    { kind: stepKind.placement, target: "choosing a node" },
    { kind: stepKind.account, target: account.username },
    { kind: stepKind.siteStore, target: domain.name },
    { kind: stepKind.vhost, target: domain.name },
    ...(appDatabase ? [{ kind: stepKind.database, target: appDatabase.name }] : []),
    ...app.operationSteps.map((kind) => ({ kind, target: app.label })),
    { kind: stepKind.route, target: domain.name },
    { kind: stepKind.serveCheck, target: "every edge" },
  ];
}
