-- Objects a node could not converge, left alone by its agent until a change or a retry.
CREATE TABLE "ConvergeHold" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "objectKind" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConvergeHold_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "ConvergeHold_nodeId_objectId_key" ON "ConvergeHold"("nodeId", "objectId");
CREATE INDEX "ConvergeHold_objectId_idx" ON "ConvergeHold"("objectId");

ALTER TABLE "ConvergeHold" ADD CONSTRAINT "ConvergeHold_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;
