import { db } from "../../db";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";

// A node that still holds placements must be drained first (sites moved off by the balancer);
// removing it here would strand those sites' routes. Snapshots it held keep their rows (the
// foreign key sets nodeId to null) so the history stays readable.
export async function removeNode(actor: Actor, id: string): Promise<void> {
  await db.$transaction(async (tx) => {
    const node = await tx.node.findFirst({
      where: { id },
      select: { id: true, name: true, address: true, agentPort: true, _count: { select: { placements: true } } },
    });
    if (!node) throw AppError.notFound("Node");
    if (node._count.placements > 0) {
      throw new AppError(
        "PRECONDITION_FAILED",
        `Node ${node.name} still holds ${node._count.placements} site placement(s); drain it before removing it.`,
      );
    }
    // Postgres locks the node row for the delete; a placement created concurrently fails its
    // foreign key instead of pointing at a removed node.
    await tx.node.delete({ where: { id } });
    await recordChange(tx, actor, {
      action: "node.remove",
      targetType: "Node",
      targetId: id,
      resellerId: actor.scope.resellerId,
      before: { name: node.name, address: node.address, agentPort: node.agentPort },
      outbox: { topic: "node.removed", payload: { nodeId: id } },
    });
  });
}
