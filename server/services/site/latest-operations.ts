import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { operationSelect, toOperationView, type OperationView } from "../operation/operation-select";

/** The newest operation of each site, for showing progress next to it in a list, as `scope` may read it. */
export async function latestSiteOperations(siteIds: string[], scope: Scope): Promise<Map<string, OperationView>> {
  if (siteIds.length === 0) return new Map();
  const ops = await db.operation.findMany({
    where: { targetType: "Site", targetId: { in: siteIds } },
    orderBy: [{ targetId: "asc" }, { createdAt: "desc" }, { id: "desc" }],
    distinct: ["targetId"],
    select: operationSelect,
  });
  return new Map(ops.map((op) => [op.targetId, toOperationView(op, scope)]));
}
