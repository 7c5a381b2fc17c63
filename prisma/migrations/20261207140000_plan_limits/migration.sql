-- A plan's share of each node for every account on it (the account's cgroup), beside diskMb.
ALTER TABLE "Plan" ADD COLUMN "cpuPercent" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN "memoryMb" INTEGER NOT NULL DEFAULT 512,
ADD COLUMN "pids" INTEGER NOT NULL DEFAULT 128,
ADD COLUMN "ioWeight" INTEGER NOT NULL DEFAULT 100;

-- Each account's use of each node against its limits there, as the node last reported it.
CREATE TABLE "AccountNodeUsage" (
    "accountId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "diskBytes" BIGINT,
    "diskLimitBytes" BIGINT,
    "atDiskLimit" BOOLEAN NOT NULL DEFAULT false,
    "memoryBytes" BIGINT,
    "memoryLimitBytes" BIGINT,
    "memoryLimitHits" BIGINT NOT NULL DEFAULT 0,
    "oomKills" BIGINT NOT NULL DEFAULT 0,
    "cpuThrottledPeriods" BIGINT NOT NULL DEFAULT 0,
    "cpuThrottledUsec" BIGINT NOT NULL DEFAULT 0,
    "pids" INTEGER,
    "pidsLimit" INTEGER,
    "pidsLimitHits" BIGINT NOT NULL DEFAULT 0,
    "measuredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AccountNodeUsage_pkey" PRIMARY KEY ("accountId","nodeId")
);

CREATE INDEX "AccountNodeUsage_nodeId_idx" ON "AccountNodeUsage"("nodeId");

ALTER TABLE "AccountNodeUsage" ADD CONSTRAINT "AccountNodeUsage_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "HostingAccount"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "AccountNodeUsage" ADD CONSTRAINT "AccountNodeUsage_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The admin's bounds on plans and the egress allow list: one row, made here so that every reader
-- finds it.
CREATE TABLE "PlatformSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "maxCpuPercent" INTEGER NOT NULL DEFAULT 400,
    "maxMemoryMb" INTEGER NOT NULL DEFAULT 4096,
    "maxPids" INTEGER NOT NULL DEFAULT 1024,
    "maxDiskMb" INTEGER NOT NULL DEFAULT 100000,
    "minSnapshotCadenceSec" INTEGER NOT NULL DEFAULT 60,
    "maxKeepAllMinutes" INTEGER NOT NULL DEFAULT 1440,
    "maxKeepHourlyDays" INTEGER NOT NULL DEFAULT 30,
    "maxKeepDailyDays" INTEGER NOT NULL DEFAULT 365,
    "egressAllow" JSONB NOT NULL DEFAULT '[]',
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PlatformSettings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "PlatformSettings_singleton" CHECK ("id" = 1)
);

INSERT INTO "PlatformSettings" ("id") VALUES (1);
