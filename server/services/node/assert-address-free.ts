import type { Tx } from "../../db";
import { AppError } from "../../errors";

// Two nodes on one agent endpoint would be the same machine counted twice by placement; there is
// no unique index on (address, agentPort), so this check runs inside the writing transaction.
export async function assertAddressFree(tx: Tx, address: string, agentPort: number, exceptId?: string) {
  const other = await tx.node.findFirst({
    where: { address, agentPort, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { name: true },
  });
  if (other) {
    throw AppError.field("address", `Node ${other.name} already uses ${address} port ${agentPort}.`, "ALREADY_EXISTS");
  }
}
