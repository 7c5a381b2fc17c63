import type { Prisma } from "../../generated/prisma/client";
import type { Tx } from "../../db";
import type { RecordErrors } from "../../domain/dns-record/types";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import type { ZoneDomain } from "./load-zone";

/** More than any hand-kept zone needs; keeps a zone's spec and the editor's table bounded. */
export const maxRecordsPerZone = 1000;

/** A record refused by its grammar or the zone's rules: every message beside its field. */
export function recordRefused(errors: RecordErrors): AppError {
  const first = Object.values(errors)[0] ?? "This record is not valid.";
  return new AppError("BAD_INPUT", first, errors);
}

/**
 * The end of every zone edit, in the edit's transaction: the domain's generation goes up (the node
 * spec follows it, and the domain reads as pending until nodes report it), with the audit entry
 * and the outbox row that wakes the reconcile.
 */
export async function commitZoneChange(
  tx: Tx,
  actor: Actor,
  domain: ZoneDomain,
  change: { action: string; before?: Prisma.InputJsonValue; after?: Prisma.InputJsonValue },
): Promise<void> {
  await tx.domain.update({ where: { id: domain.id }, data: { generation: { increment: 1 } } });
  await recordChange(tx, actor, {
    action: change.action,
    targetType: "Domain",
    targetId: domain.id,
    resellerId: domain.resellerId,
    customerId: domain.customerId,
    before: change.before,
    after: change.after,
    outbox: { topic: "domain.reconcile", payload: { domainId: domain.id } },
  });
}
