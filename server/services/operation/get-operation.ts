import { db } from "../../db";
import { AppError } from "../../errors";
import { operationWhere, type Scope } from "../../auth/scope";
import { operationSelect, toOperationView, type OperationView } from "./operation-select";

export async function getOperation(scope: Scope, input: { id: string }): Promise<OperationView> {
  const op = await db.operation.findFirst({ where: { id: input.id, ...operationWhere(scope) }, select: operationSelect });
  if (!op) throw AppError.notFound("Operation");
  return toOperationView(op, scope);
}
