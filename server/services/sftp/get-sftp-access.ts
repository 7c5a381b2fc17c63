import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { resolveAccount } from "../account/resolve-account";

export type SftpAccess = {
  accountId: string;
  username: string;
  /** The plan allows SFTP; when false every gateway refuses the account whatever it has set. */
  enabled: boolean;
  passwordSetAt: Date | null;
  keys: { id: string; name: string; algorithm: string; fingerprint: string; createdAt: Date }[];
  /** Every node's gateway answers for the account: the customer may use any of them. */
  servers: { address: string; port: number }[];
};

export async function getSftpAccess(scope: Scope, input: { accountId?: string | null }): Promise<SftpAccess> {
  const account = await resolveAccount(db, scope, input.accountId);
  const [row, keys, nodes] = await Promise.all([
    db.hostingAccount.findFirst({
      where: { id: account.id },
      select: { sftpPasswordSetAt: true, plan: { select: { sftpEnabled: true } } },
    }),
    db.sftpKey.findMany({
      where: { accountId: account.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true, name: true, algorithm: true, fingerprint: true, createdAt: true },
    }),
    db.node.findMany({ where: { status: { not: "DRAINING" } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { address: true, sftpPort: true } }),
  ]);
  return {
    accountId: account.id,
    username: account.username,
    enabled: row?.plan.sftpEnabled ?? false,
    passwordSetAt: row?.sftpPasswordSetAt ?? null,
    keys,
    servers: nodes.map((n) => ({ address: n.address, port: n.sftpPort })),
  };
}
