import { platformHostname } from "../../auth/panel-host";
import { db, type Tx } from "../../db";
import { isUnder, selfAndParents } from "../../domain/dns-name";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";
import { nameserverTtl } from "../../domain/dns-record/platform-records";
import { resellerNameservers } from "../dns/nameservers";

export type CreateDomainInput = {
  accountId?: string | null;
  /** Already parsed by the domain-name grammar: lower-case punycode and its Unicode form. */
  name: { ascii: string; unicode: string };
};

export const domainTakenMessage = "This domain is already hosted here.";
export const otherAccountMessage =
  "This domain, or a domain above or below it, is attached to another account; proving control by a DNS TXT record comes with DNS hosting.";
export const panelAddressMessage = "This name is a control panel's or a cluster server's address and cannot be a website's domain.";

/**
 * Refuses a name that another account already holds, or holds a domain above or below it (its
 * owner answers for every name under it; until DNS hosting can check a TXT record, nobody else can
 * prove control), and a name the panels or the nodes answer on (isPanelOrNodeName). An advisory lock on the name's last
 * two labels serialises concurrent claims of names in one tree, which no unique index can express.
 */
async function assertNameFree(tx: Tx, accountId: string, resellerId: string, ascii: string): Promise<void> {
  const treeKey = ascii.split(".").slice(-2).join(".");
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`domain-tree:${treeKey}`}))::text`;
  const clash = await tx.domain.findFirst({
    where: {
      deletedAt: null,
      accountId: { not: accountId },
      OR: [{ name: { in: selfAndParents(ascii) } }, { name: { endsWith: `.${ascii}` } }],
    },
    select: { id: true },
  });
  if (clash) throw AppError.field("name", otherAccountMessage, "ALREADY_EXISTS");
  if (await isPanelOrNodeName(tx, resellerId, ascii)) throw AppError.field("name", panelAddressMessage);
}

/**
 * Whether a name would take over a panel's or a node's address: the platform's panel host, the
 * name of a domain above it (whose zone would then answer for it), or, for a platform host with a
 * parent domain, a name under it; a reseller's panel hostname itself, and a name above or below
 * one unless that reseller is the account's own reseller or one of its ancestors, the platform
 * excepted (a reseller's own customers may host the domain its panel sits in); a node's name or
 * address.
 */
async function isPanelOrNodeName(tx: Tx, resellerId: string, ascii: string): Promise<boolean> {
  const platform = platformHostname();
  if (isUnder(platform, ascii) || (platform.includes(".") && isUnder(ascii, platform))) return true;
  const own = await tx.reseller.findUniqueOrThrow({ where: { id: resellerId }, select: { path: true } });
  const hosts = await tx.brandHostname.findMany({
    where: { OR: [{ hostname: { in: selfAndParents(ascii) } }, { hostname: { endsWith: `.${ascii}` } }] },
    select: { hostname: true, reseller: { select: { path: true, isPlatform: true } } },
  });
  const ownTreeOf = (h: (typeof hosts)[number]) => !h.reseller.isPlatform && own.path.startsWith(h.reseller.path);
  if (hosts.some((h) => h.hostname === ascii || !ownTreeOf(h))) return true;
  const nodes = await tx.node.count({ where: { OR: [{ name: { equals: ascii, mode: "insensitive" } }, { address: ascii }] } });
  return nodes > 0;
}

/**
 * Desired state for a new domain: the Domain row, its zone's NS records from the reseller's brand
 * (or the platform's default nameservers)
 * (A/AAAA records are written when a site on the domain is routed, as only then is there an
 * address to point at), an Operation for the DNS step, and audit + outbox, in one transaction.
 */
export async function createDomain(actor: Actor, input: CreateDomainInput): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
    await assertNameFree(tx, account.id, account.resellerId, input.name.ascii);
    let domain: { id: string };
    try {
      domain = await tx.domain.create({
        data: { accountId: account.id, name: input.name.ascii, displayName: input.name.unicode },
        select: { id: true },
      });
    } catch (e) {
      // Domain_name_live_key: one live owner per name across the whole cluster.
      if (isUniqueViolation(e)) throw AppError.field("name", domainTakenMessage, "ALREADY_EXISTS");
      throw e;
    }
    // The reseller's own nameservers, or the platform's defaults: the platform's rows (managed),
    // which the zone editor shows but never edits.
    const { nameservers } = await resellerNameservers(tx, account.resellerId);
    if (nameservers.length > 0) {
      await tx.dnsRecord.createMany({
        data: nameservers.map((ns) => ({ domainId: domain.id, name: "@", type: "NS" as const, content: ns, ttl: nameserverTtl, managed: true })),
      });
    }
    const op = await startOperation(tx, actor, {
      kind: operationKind.domainCreate,
      targetType: "Domain",
      targetId: domain.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      steps: [{ kind: stepKind.dnsZone, target: input.name.ascii }],
    });
    await recordChange(tx, actor, {
      action: "domain.create",
      targetType: "Domain",
      targetId: domain.id,
      resellerId: account.resellerId,
      customerId: account.customerId,
      after: { name: input.name.ascii, displayName: input.name.unicode, accountId: account.id },
      outbox: { topic: "domain.reconcile", payload: { domainId: domain.id, operationId: op.id } },
    });
    return { id: domain.id, operationId: op.id };
  });
}
