import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import { parseSshPublicKey } from "../../domain/ssh-public-key";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { recordSftpChange } from "./record-sftp-change";

export const MAX_SFTP_KEYS = 20;

export type AddedSftpKey = { id: string; name: string; algorithm: string; fingerprint: string; createdAt: Date };

export async function addSftpKey(actor: Actor, input: { accountId?: string | null; name?: string | null; publicKey: string }): Promise<AddedSftpKey> {
  const parsed = parseSshPublicKey(input.publicKey);
  if (!parsed.ok) throw AppError.field("publicKey", parsed.error);
  const key = parsed.value;
  const name = (input.name?.trim() || key.comment || key.algorithm).slice(0, 100);
  const duplicate = () => AppError.field("publicKey", `This key is already added (${key.fingerprint}).`, "ALREADY_EXISTS");
  try {
    return await db.$transaction(async (tx) => {
      const account = await resolveWritableAccount(tx, actor.scope, input.accountId);
      const existing = await tx.sftpKey.findMany({ where: { accountId: account.id }, select: { fingerprint: true } });
      if (existing.some((k) => k.fingerprint === key.fingerprint)) throw duplicate();
      if (existing.length >= MAX_SFTP_KEYS) throw AppError.field("publicKey", `An account can have at most ${MAX_SFTP_KEYS} keys. Remove one first.`);
      const created = await tx.sftpKey.create({
        data: { accountId: account.id, name, algorithm: key.algorithm, publicKey: key.publicKey, fingerprint: key.fingerprint },
        select: { id: true, name: true, algorithm: true, fingerprint: true, createdAt: true },
      });
      await recordSftpChange(tx, actor, account, "sftp.key.add", { name, fingerprint: key.fingerprint });
      return created;
    });
  } catch (error) {
    // Two adds of the same key at once: the unique index decides, the loser gets the field error.
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
}
