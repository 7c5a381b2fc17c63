import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { assertAddressFree } from "./assert-address-free";
import { nodeSelect, specSummary, toNodeView, type NodeSpec, type NodeView } from "./node-fields";

export async function updateNode(actor: Actor, id: string, spec: NodeSpec): Promise<NodeView> {
  try {
    return await db.$transaction(async (tx) => {
      const before = await tx.node.findFirst({
        where: { id },
        select: {
          name: true,
          address: true,
          agentPort: true,
          capacitySites: true,
          capacityDiskMb: true,
          capacityCpus: true,
          capacityMemoryMb: true,
        },
      });
      if (!before) throw AppError.notFound("Node");
      await assertAddressFree(tx, spec.address, spec.agentPort, id);
      const node = await tx.node.update({
        where: { id },
        data: { ...spec, generation: { increment: 1 } },
        select: nodeSelect,
      });
      await recordChange(tx, actor, {
        action: "node.update",
        targetType: "Node",
        targetId: id,
        resellerId: actor.scope.resellerId,
        before: specSummary(before),
        after: specSummary(spec),
        outbox: { topic: "node.changed", payload: { nodeId: id } },
      });
      return toNodeView(node);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("name", "A node with this name already exists.", "ALREADY_EXISTS");
    throw e;
  }
}
