import { db } from "../../db";
import { recordData } from "../../domain/dns-record/record";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { findZoneDomain } from "./load-zone";
import { commitZoneChange } from "./zone-change";

/** Soft delete (the reconcile removes it from the nodes' zones), with the domain's generation bump. */
export async function deleteRecord(actor: Actor, input: { id: string; accountId?: string | null }): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    const row = await tx.dnsRecord.findFirst({
      where: { id: input.id, deletedAt: null, domain: { deletedAt: null } },
      select: { id: true, domainId: true, managed: true, name: true, type: true, ttl: true, content: true, priority: true, weight: true, port: true },
    });
    if (!row) throw AppError.notFound("DNS record");
    const domain = await findZoneDomain(tx, actor.scope, { domainId: row.domainId, accountId: input.accountId });
    if (row.managed) throw new AppError("FORBIDDEN", "This record is managed by the platform and cannot be deleted here.");
    await resolveWritableAccount(tx, actor.scope, domain.accountId);
    await tx.dnsRecord.update({ where: { id: row.id }, data: { deletedAt: new Date(), generation: { increment: 1 } } });
    await commitZoneChange(tx, actor, domain, { action: "dns.record.delete", before: { record: `${row.name} ${row.ttl} ${row.type} ${recordData(row)}` } });
    return { id: row.id };
  });
}
