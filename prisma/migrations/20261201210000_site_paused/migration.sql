-- A site whose requests every edge holds while it moves between nodes.
ALTER TABLE "Site" ADD COLUMN "paused" BOOLEAN NOT NULL DEFAULT false;
