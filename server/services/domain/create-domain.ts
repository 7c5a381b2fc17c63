import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { resolveWritableAccount } from "../account/resolve-account";
import { startOperation } from "../operation/start-operation";
import { operationKind, stepKind } from "../../domain/operation-kinds";

export type CreateDomainInput = {
  accountId?: string | null;
  /** Already parsed by the domain-name grammar: lower-case punycode and its Unicode form. */
  name: { ascii: string; unicode: string };
};

export const domainTakenMessage = "This domain is already hosted here.";

/**
 * Desired state for a new domain: the Domain row, its zone's NS records from the reseller's brand
 * (A/AAAA records are written when a site on the domain is routed, as only then is there an
 * address to point at), an Operation for the DNS step, and audit + outbox, in one transaction.
 */
export async function createDomain(actor: Actor, input: CreateDomainInput): Promise<{ id: string; operationId: string }> {
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
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
    const brand = await tx.brand.findUnique({ where: { resellerId: account.resellerId }, select: { nameservers: true } });
    const nameservers = brand?.nameservers ?? [];
    if (nameservers.length > 0) {
      await tx.dnsRecord.createMany({
        data: nameservers.map((ns) => ({ domainId: domain.id, name: "@", type: "NS", content: ns })),
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
