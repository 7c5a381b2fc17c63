-- Nothing read these: a site's status, its operations and their steps already say its state.
ALTER TABLE "HostingAccount" DROP COLUMN "conditions";
ALTER TABLE "Domain" DROP COLUMN "conditions";
ALTER TABLE "DnsRecord" DROP COLUMN "conditions";
ALTER TABLE "Site" DROP COLUMN "conditions";
ALTER TABLE "Database" DROP COLUMN "conditions";
ALTER TABLE "DatabaseUser" DROP COLUMN "conditions";
ALTER TABLE "Mailbox" DROP COLUMN "conditions";
ALTER TABLE "MailForwarder" DROP COLUMN "conditions";
ALTER TABLE "Node" DROP COLUMN "conditions";
