import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { recordSftpChange } from "./record-sftp-change";

export async function deleteSftpKey(actor: Actor, input: { accountId?: string | null; id: string }): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
    // The account (already scoped to the caller) is in the where clause: another's key is not found.
    const key = await tx.sftpKey.findFirst({ where: { id: input.id, accountId: account.id }, select: { id: true, fingerprint: true } });
    if (!key) throw AppError.notFound("SSH key");
    await tx.sftpKey.delete({ where: { id: key.id } });
    await recordSftpChange(tx, actor, account, "sftp.key.delete", { fingerprint: key.fingerprint });
    return { id: key.id };
  });
}
