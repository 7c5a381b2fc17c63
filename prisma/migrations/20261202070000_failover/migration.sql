-- The failure detector's memory between heartbeat ticks (server/domain/failure-detector.ts).
ALTER TABLE "Node" ADD COLUMN "healthSince" TIMESTAMP(3),
ADD COLUMN "deadFlipAt" TIMESTAMP(3);
