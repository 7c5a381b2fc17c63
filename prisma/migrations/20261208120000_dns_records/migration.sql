-- DNS records get a closed set of types, SRV's weight and port, and a flag for the rows the
-- platform writes (shown in the zone editor, never editable). The platform's settings get the
-- default nameservers used by resellers that have none of their own.
CREATE TYPE "DnsRecordType" AS ENUM ('A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'NS');

ALTER TABLE "DnsRecord" ALTER COLUMN "type" TYPE "DnsRecordType" USING ("type"::"DnsRecordType");
ALTER TABLE "DnsRecord" ADD COLUMN "weight" INTEGER,
ADD COLUMN "port" INTEGER,
ADD COLUMN "managed" BOOLEAN NOT NULL DEFAULT false;

-- The NS rows copied from the brand when a domain was created are the platform's.
UPDATE "DnsRecord" SET "managed" = true WHERE "type" = 'NS' AND "name" = '@';

ALTER TABLE "PlatformSettings" ADD COLUMN "defaultNameservers" TEXT[] DEFAULT ARRAY[]::TEXT[];
