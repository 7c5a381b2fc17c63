import type { Tx } from "../../db";
import type { Actor } from "../actor";
import type { OperationKind, StepKind } from "../../domain/operation-kinds";

export type OperationStepSpec = { kind: StepKind; target: string };

export type StartOperation = {
  /** "site.create", "domain.delete", ... (server/domain/operation-kinds.ts) */
  kind: OperationKind;
  targetType: "Domain" | "Site" | "Database";
  targetId: string;
  resellerId: string;
  customerId: string;
  /** In the order a worker runs them; all start PENDING until a node picks the operation up. */
  steps: OperationStepSpec[];
};

// Called inside the mutation's transaction, so the desired state and the operation that will apply
// it commit together (the outbox row recordChange writes carries the operation's id).
export async function startOperation(tx: Tx, actor: Actor, op: StartOperation): Promise<{ id: string }> {
  return tx.operation.create({
    data: {
      kind: op.kind,
      targetType: op.targetType,
      targetId: op.targetId,
      resellerId: op.resellerId,
      customerId: op.customerId,
      actorId: actor.userId,
      steps: { create: op.steps.map((s, index) => ({ index, kind: s.kind, target: s.target })) },
    },
    select: { id: true },
  });
}
