import { db } from "../../db";
import { AppError } from "../../errors";
import { readSuspectWindow } from "../health/read-suspect-window";
import { nodeSelect, toNodeView, type NodeView } from "./node-fields";

// Nodes are platform-wide: only admins reach this (node.read), so there is no tenant filter.
export async function getNode(id: string): Promise<NodeView> {
  const [node, suspectAfterMs] = await Promise.all([db.node.findFirst({ where: { id }, select: nodeSelect }), readSuspectWindow(db)]);
  if (!node) throw AppError.notFound("Node");
  return toNodeView(node, new Date(), suspectAfterMs);
}
