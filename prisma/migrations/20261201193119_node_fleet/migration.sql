-- Node fleet: front door and backend ports, what the agent last accepted, where a database lives,
-- and the once-only reveal of an app's first admin password.

ALTER TABLE "Database" ADD COLUMN     "nodeId" TEXT;

ALTER TABLE "Node" ADD COLUMN     "appliedRoutesVersion" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "appliedSpecHash" TEXT,
ADD COLUMN     "backendPort" INTEGER NOT NULL DEFAULT 8080,
ADD COLUMN     "httpPort" INTEGER NOT NULL DEFAULT 80,
ADD COLUMN     "lastAppliedAt" TIMESTAMP(3),
ADD COLUMN     "lastError" TEXT;

ALTER TABLE "Site" ADD COLUMN     "appAdminShownAt" TIMESTAMP(3),
ADD COLUMN     "routed" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "routeVersion" BIGINT NOT NULL DEFAULT 0;

CREATE TABLE "ClusterState" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "routesVersion" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "ClusterState_pkey" PRIMARY KEY ("id")
);

INSERT INTO "ClusterState" ("id", "routesVersion") VALUES (1, 0);

ALTER TABLE "Database" ADD CONSTRAINT "Database_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE INDEX "Database_nodeId_idx" ON "Database"("nodeId");
