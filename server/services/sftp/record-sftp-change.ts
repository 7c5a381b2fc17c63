import type { Prisma } from "../../generated/prisma/client";
import type { Tx } from "../../db";
import type { Actor } from "../actor";
import type { ResolvedAccount } from "../account/resolve-account";
import { recordChange } from "../audit/record-change";

/**
 * An SFTP credential changed: every node's gateway must hear of it (any node accepts any account),
 * so the outbox row's aggregate is "SftpAccess", which reconciles every node. The audit row holds
 * fingerprints and "password set", never the password or its hash.
 */
export function recordSftpChange(tx: Tx, actor: Actor, account: ResolvedAccount, action: string, after: Prisma.InputJsonValue): Promise<void> {
  return recordChange(tx, actor, {
    action,
    targetType: "SftpAccess",
    targetId: account.id,
    resellerId: account.resellerId,
    customerId: account.customerId,
    after,
    outbox: { topic: "sftp.changed" },
  });
}
