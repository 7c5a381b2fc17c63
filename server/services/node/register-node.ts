import { db } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { assertAddressFree } from "./assert-address-free";
import { nodeSelect, specSummary, toNodeView, type NodeSpec, type NodeView } from "./node-fields";

// A node joins as PENDING: it becomes HEALTHY only once its agent sends heartbeats.
export async function registerNode(actor: Actor, spec: NodeSpec): Promise<NodeView> {
  try {
    return await db.$transaction(async (tx) => {
      await assertAddressFree(tx, spec.address, spec.agentPort);
      const node = await tx.node.create({ data: spec, select: nodeSelect });
      await recordChange(tx, actor, {
        action: "node.register",
        targetType: "Node",
        targetId: node.id,
        resellerId: actor.scope.resellerId,
        after: specSummary(spec),
        outbox: { topic: "node.changed", payload: { nodeId: node.id } },
      });
      return toNodeView(node);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("name", "A node with this name already exists.", "ALREADY_EXISTS");
    throw e;
  }
}
