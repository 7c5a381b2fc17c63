import { db } from "../../db";
import { operationSelect, type OperationView } from "../operation/operation-select";

/** The newest operation of each site, for showing progress next to it in a list. */
export async function latestSiteOperations(siteIds: string[]): Promise<Map<string, OperationView>> {
  if (siteIds.length === 0) return new Map();
  const ops = await db.operation.findMany({
    where: { targetType: "Site", targetId: { in: siteIds } },
    orderBy: [{ targetId: "asc" }, { createdAt: "desc" }, { id: "desc" }],
    distinct: ["targetId"],
    select: operationSelect,
  });
  return new Map(ops.map((op) => [op.targetId, op]));
}
