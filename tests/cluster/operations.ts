import { db } from "../../server/db";
import type { Cluster } from "./harness";

// What the cluster tests ask of Postgres while a cluster runs: an operation's end, a site's live copy.

/** Operation `operationId` with its steps once it has SUCCEEDED; throws at once when it FAILED, or after `timeoutMs`. */
export function operationSucceeded(cluster: Cluster, operationId: string, timeoutMs = 120_000) {
  return cluster.waitFor(
    `operation ${operationId}`,
    async () => {
      const op = await db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { steps: { orderBy: { index: "asc" } } } });
      if (op.status === "FAILED") throw new Error(`operation failed: ${op.lastError}`);
      return op.status === "SUCCEEDED" ? op : undefined;
    },
    { timeoutMs },
  );
}

/** The site's live placement, with its node. */
export const livePlacement = (siteId: string) => db.placement.findFirstOrThrow({ where: { siteId, role: "PRIMARY" }, include: { node: true } });
