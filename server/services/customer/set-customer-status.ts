import { db } from "../../db";
import { AppError } from "../../errors";
import { customerWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { customerDetailSelect, type CustomerDetail } from "./customer-select";

type Transition = { from: "ACTIVE" | "SUSPENDED"; to: "ACTIVE" | "SUSPENDED"; action: string; accountAction: string };

export const suspendTransition: Transition = {
  from: "ACTIVE",
  to: "SUSPENDED",
  action: "customer.suspend",
  accountAction: "account.suspend",
};
export const unsuspendTransition: Transition = {
  from: "SUSPENDED",
  to: "ACTIVE",
  action: "customer.unsuspend",
  accountAction: "account.unsuspend",
};

// Suspension is desired state on the customer AND each live hosting account: the accounts' new
// generation plus one "account.reconcile" outbox row each is what tells the node fleet to stop (or
// resume) serving them. The customer's own logins are refused by loadScope while it is not ACTIVE.
export async function setCustomerStatus(actor: Actor, id: string, t: Transition): Promise<CustomerDetail> {
  return db.$transaction(async (tx) => {
    const customer = await tx.customer.findFirst({
      where: { AND: [{ id, deletedAt: null }, customerWhere(actor.scope)] },
      select: { id: true, resellerId: true, status: true },
    });
    if (!customer) throw AppError.notFound("Customer");
    if (customer.status !== t.from) {
      throw new AppError("PRECONDITION_FAILED", `This customer is ${customer.status.toLowerCase()}.`);
    }
    // The status guard in the where clause makes a concurrent transition lose cleanly.
    const updated = await tx.customer.updateMany({
      where: { id, status: t.from },
      data: { status: t.to, generation: { increment: 1 } },
    });
    if (updated.count !== 1) throw new AppError("CONFLICT", "The customer changed meanwhile; reload and try again.");
    await recordChange(tx, actor, {
      action: t.action,
      targetType: "Customer",
      targetId: id,
      resellerId: customer.resellerId,
      customerId: id,
      before: { status: t.from },
      after: { status: t.to },
    });
    const accounts = await tx.hostingAccount.findMany({
      where: { customerId: id, deletedAt: null, status: t.from },
      select: { id: true, username: true },
    });
    for (const account of accounts) {
      await tx.hostingAccount.update({
        where: { id: account.id },
        data: { status: t.to, generation: { increment: 1 } },
      });
      await recordChange(tx, actor, {
        action: t.accountAction,
        targetType: "HostingAccount",
        targetId: account.id,
        resellerId: customer.resellerId,
        customerId: id,
        before: { username: account.username, status: t.from },
        after: { username: account.username, status: t.to },
        outbox: { topic: "account.reconcile", payload: { accountId: account.id } },
      });
    }
    return tx.customer.findUniqueOrThrow({ where: { id }, select: customerDetailSelect });
  });
}
