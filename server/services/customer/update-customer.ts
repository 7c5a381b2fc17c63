import type { Prisma } from "../../generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import { customerWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { customerDetailSelect, type CustomerDetail } from "./customer-select";

export type UpdateCustomerInput = { id: string; name?: string; email?: string; company?: string | null };

// Name, contact email and company are panel records: nothing for the nodes, so no generation bump
// and no outbox row.
export async function updateCustomer(actor: Actor, input: UpdateCustomerInput): Promise<CustomerDetail> {
  const { id, ...changes } = input;
  return db.$transaction(async (tx) => {
    const current = await tx.customer.findFirst({
      where: { AND: [{ id, deletedAt: null }, customerWhere(actor.scope)] },
      select: { id: true, resellerId: true, status: true, name: true, email: true, company: true },
    });
    if (!current) throw AppError.notFound("Customer");
    if (current.status === "TERMINATED") {
      throw new AppError("PRECONDITION_FAILED", "A terminated customer cannot be changed.");
    }
    const data: Prisma.CustomerUpdateInput = {};
    const before: Record<string, string | null> = {};
    const after: Record<string, string | null> = {};
    for (const key of ["name", "email", "company"] as const) {
      const next = changes[key];
      if (next !== undefined && next !== current[key]) {
        (data as Record<string, string | null>)[key] = next;
        before[key] = current[key];
        after[key] = next;
      }
    }
    if (Object.keys(after).length > 0) {
      await tx.customer.update({ where: { id }, data });
      await recordChange(tx, actor, {
        action: "customer.update",
        targetType: "Customer",
        targetId: id,
        resellerId: current.resellerId,
        customerId: id,
        before,
        after,
      });
    }
    return tx.customer.findUniqueOrThrow({ where: { id }, select: customerDetailSelect });
  });
}
