import { db } from "../../db";
import { AppError } from "../../errors";
import { nodeSelect, toNodeView, type NodeView } from "./node-fields";

// Nodes are platform-wide: only admins reach this (node.read), so there is no tenant filter.
export async function getNode(id: string): Promise<NodeView> {
  const node = await db.node.findFirst({ where: { id }, select: nodeSelect });
  if (!node) throw AppError.notFound("Node");
  return toNodeView(node);
}
