-- CreateEnum
CREATE TYPE "CertificateSource" AS ENUM ('ACME', 'UPLOADED');

-- CreateEnum
CREATE TYPE "CertificateStatus" AS ENUM ('PENDING', 'ISSUED', 'FAILED');

-- AlterTable
ALTER TABLE "Site" ADD COLUMN     "hsts" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "redirectHttps" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Node" ADD COLUMN     "httpsPort" INTEGER NOT NULL DEFAULT 443;

-- CreateTable
CREATE TABLE "AcmeAccount" (
    "directoryUrl" TEXT NOT NULL,
    "keyEncrypted" TEXT NOT NULL,
    "accountUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeAccount_pkey" PRIMARY KEY ("directoryUrl")
);

-- CreateTable
CREATE TABLE "Certificate" (
    "id" TEXT NOT NULL,
    "siteId" TEXT NOT NULL,
    "source" "CertificateSource" NOT NULL DEFAULT 'ACME',
    "status" "CertificateStatus" NOT NULL DEFAULT 'PENDING',
    "domains" TEXT[],
    "chainPem" TEXT,
    "keyEncrypted" TEXT,
    "issuer" TEXT,
    "notBefore" TIMESTAMP(3),
    "notAfter" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3),
    "failures" INTEGER NOT NULL DEFAULT 0,
    "failureReason" TEXT,
    "lastError" TEXT,
    "lastAttemptAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcmeChallenge" (
    "token" TEXT NOT NULL,
    "keyAuthorization" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcmeChallenge_pkey" PRIMARY KEY ("token")
);

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_siteId_key" ON "Certificate"("siteId");

-- CreateIndex
CREATE INDEX "Certificate_nextAttemptAt_idx" ON "Certificate"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "Certificate_notAfter_idx" ON "Certificate"("notAfter");

-- CreateIndex
CREATE INDEX "AcmeChallenge_certificateId_idx" ON "AcmeChallenge"("certificateId");

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site"("id") ON DELETE CASCADE ON UPDATE CASCADE;
