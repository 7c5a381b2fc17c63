import { db } from "../../db";
import type { Prisma } from "../../generated/prisma/client";
import { afterCursor, keysetOrder, toPage, type Page, type PageInput } from "../pagination";
import { nodeSelect, toNodeView, type NodeView } from "./node-fields";

export type NodeSort = "name" | "createdAt";

export async function listNodes(input: PageInput & { sort: NodeSort }): Promise<Page<NodeView>> {
  const where: Prisma.NodeWhereInput = {
    AND: [
      input.search ? { name: { contains: input.search, mode: "insensitive" } } : {},
      afterCursor(input.sort, input.direction, input.cursor),
    ],
  };
  const rows = await db.node.findMany({
    where,
    orderBy: keysetOrder(input.sort, input.direction),
    take: input.limit + 1,
    select: nodeSelect,
  });
  return toPage(rows.map(toNodeView), input.limit, input.sort);
}
