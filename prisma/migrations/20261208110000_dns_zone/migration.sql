-- CreateTable
CREATE TABLE "DnsZone" (
    "domainId" TEXT NOT NULL,
    "serial" INTEGER NOT NULL DEFAULT 1,
    "contentHash" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DnsZone_pkey" PRIMARY KEY ("domainId")
);

-- AddForeignKey
ALTER TABLE "DnsZone" ADD CONSTRAINT "DnsZone_domainId_fkey" FOREIGN KEY ("domainId") REFERENCES "Domain"("id") ON DELETE CASCADE ON UPDATE CASCADE;
