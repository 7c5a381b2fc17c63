-- The control plane's own health, in Postgres (Redis may be what is gone): which control workers
-- are alive, when each schedule last ran, and which outbox rows' handlers have finished.
CREATE TABLE "ControlWorker" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "suspectAfterMs" INTEGER NOT NULL,
    "redisPersistence" TEXT,

    CONSTRAINT "ControlWorker_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "ControlWorker_lastSeenAt_idx" ON "ControlWorker"("lastSeenAt");

CREATE TABLE "ScheduleRun" (
    "id" TEXT NOT NULL,
    "lastRunAt" TIMESTAMP(3) NOT NULL,
    "everyMs" INTEGER NOT NULL,

    CONSTRAINT "ScheduleRun_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "OutboxEvent" ADD COLUMN "handledAt" TIMESTAMP(3);
-- Rows published before this column existed count as handled: a Redis wipe must not replay history.
UPDATE "OutboxEvent" SET "handledAt" = "publishedAt" WHERE "publishedAt" IS NOT NULL;
