-- Each site's disk use as its live node last measured it (worker/control/usage.ts): live files,
-- databases (dumps in the volume and MariaDB's files) and what its snapshots alone hold. Null
-- until first measured.
ALTER TABLE "Site" ADD COLUMN "filesBytes" BIGINT,
ADD COLUMN "databaseBytes" BIGINT,
ADD COLUMN "snapshotBytes" BIGINT,
ADD COLUMN "usageAt" TIMESTAMP(3);
