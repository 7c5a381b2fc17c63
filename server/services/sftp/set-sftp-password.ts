import { db } from "../../db";
import { hashPassword } from "../../auth/password";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { recordSftpChange } from "./record-sftp-change";

/** Sets (or, with null, removes) the account's SFTP password. Only its argon2id hash is kept. */
export async function setSftpPassword(actor: Actor, input: { accountId?: string | null; password: string | null }): Promise<{ passwordSetAt: Date | null }> {
  // Hashed before the transaction: argon2 takes tens of milliseconds and holds no row lock.
  const hash = input.password === null ? null : await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
    const passwordSetAt = hash === null ? null : new Date();
    await tx.hostingAccount.update({ where: { id: account.id }, data: { sftpPasswordHash: hash, sftpPasswordSetAt: passwordSetAt } });
    await recordSftpChange(tx, actor, account, hash === null ? "sftp.password.remove" : "sftp.password.set", { password: hash === null ? "removed" : "set" });
    return { passwordSetAt };
  });
}
