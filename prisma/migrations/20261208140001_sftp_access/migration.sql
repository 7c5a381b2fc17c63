-- SFTP through any node (issue 15): per-plan switch, the account's password hash, its public keys,
-- and each node's SFTP gateway port.
ALTER TABLE "Plan" ADD COLUMN "sftpEnabled" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "HostingAccount" ADD COLUMN "sftpPasswordHash" TEXT, ADD COLUMN "sftpPasswordSetAt" TIMESTAMP(3);
ALTER TABLE "Node" ADD COLUMN "sftpPort" INTEGER NOT NULL DEFAULT 2222;

CREATE TABLE "SftpKey" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SftpKey_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "SftpKey_accountId_fingerprint_key" ON "SftpKey"("accountId", "fingerprint");
CREATE INDEX "SftpKey_accountId_createdAt_id_idx" ON "SftpKey"("accountId", "createdAt", "id");

ALTER TABLE "SftpKey" ADD CONSTRAINT "SftpKey_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "HostingAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;
