import { utils } from "ssh2";
import { db } from "../../../server/db";
import { parseSshPublicKey } from "../../../server/domain/ssh-public-key";
import type { MatrixCase } from "../authz/matrix";
import { tenantAccountId } from "../domain/authz-fixtures";

// Authorisation-matrix entries for the sftp router (spread into tests/integration/authz/cases.ts).

/** A new ed25519 public key line each call, so no add is refused as a duplicate. */
export function freshPublicKey(comment = "test@example"): string {
  // ssh2's generator writes a malformed key (31 bytes) when the key starts with a zero byte, about
  // once in 300: the parser rightly refuses that, so the fixture draws again.
  for (;;) {
    const line = utils.generateKeyPairSync("ed25519").public;
    if (!(utils.parseKey(line) instanceof Error)) return `${line} ${comment}`;
  }
}

async function freshKey(accountId: string) {
  const parsed = parseSshPublicKey(freshPublicKey());
  if (!parsed.ok) throw new Error(parsed.error);
  return db.sftpKey.create({
    data: { accountId, name: "fixture", algorithm: parsed.value.algorithm, publicKey: parsed.value.publicKey, fingerprint: parsed.value.fingerprint },
    select: { id: true },
  });
}

export const sftpCases: Record<string, MatrixCase> = {
  "sftp.get": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "sftp.setPassword": { input: async (w, t) => ({ accountId: tenantAccountId(w, t), password: "a-long-sftp-password" }) },
  "sftp.addKey": { input: async (w, t) => ({ accountId: tenantAccountId(w, t), publicKey: freshPublicKey() }) },
  "sftp.deleteKey": {
    input: async (w, t) => {
      const accountId = tenantAccountId(w, t);
      return { accountId, id: (await freshKey(accountId)).id };
    },
  },
};
