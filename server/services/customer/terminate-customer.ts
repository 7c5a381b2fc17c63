import { db } from "../../db";
import { AppError } from "../../errors";
import { customerWhere } from "../../auth/scope";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { customerDetailSelect, type CustomerDetail } from "./customer-select";

export type TerminateCustomerInput = { id: string; confirmName: string };

// Irreversible. Everything a node hosts for the customer is soft-deleted (the live-name indexes free
// the usernames, domains and database names at once) and one "account.reconcile" per account tells
// the workers to tear it down; the customer row stays, TERMINATED, for the records and the audit log.
export async function terminateCustomer(actor: Actor, input: TerminateCustomerInput): Promise<CustomerDetail> {
  const { id } = input;
  return db.$transaction(async (tx) => {
    const customer = await tx.customer.findFirst({
      where: { AND: [{ id, deletedAt: null }, customerWhere(actor.scope)] },
      select: { id: true, resellerId: true, name: true, status: true },
    });
    if (!customer) throw AppError.notFound("Customer");
    if (customer.status === "TERMINATED") {
      throw new AppError("PRECONDITION_FAILED", "This customer is already terminated.");
    }
    if (input.confirmName !== customer.name) {
      throw AppError.field("confirmName", "Type the customer's name exactly to confirm.");
    }
    const now = new Date();
    await tx.customer.update({
      where: { id },
      data: { status: "TERMINATED", generation: { increment: 1 } },
    });
    await recordChange(tx, actor, {
      action: "customer.terminate",
      targetType: "Customer",
      targetId: id,
      resellerId: customer.resellerId,
      customerId: id,
      before: { status: customer.status },
      after: { status: "TERMINATED" },
    });

    const accounts = await tx.hostingAccount.findMany({
      where: { customerId: id, deletedAt: null },
      select: { id: true, username: true, status: true },
    });
    const accountIds = accounts.map((a) => a.id);
    const live = { deletedAt: null };
    const inAccounts = { accountId: { in: accountIds } };
    const bump = { deletedAt: now, generation: { increment: 1 } };
    await tx.mailbox.updateMany({ where: { ...live, domain: inAccounts }, data: bump });
    await tx.mailForwarder.updateMany({ where: { ...live, domain: inAccounts }, data: bump });
    await tx.dnsRecord.updateMany({ where: { ...live, domain: inAccounts }, data: bump });
    await tx.databaseUser.updateMany({ where: { ...live, database: inAccounts }, data: bump });
    await tx.database.updateMany({ where: { ...live, ...inAccounts }, data: bump });
    await tx.site.updateMany({ where: { ...live, ...inAccounts }, data: { ...bump, status: "TERMINATED" } });
    await tx.domain.updateMany({ where: { ...live, ...inAccounts }, data: bump });
    for (const account of accounts) {
      await tx.hostingAccount.update({
        where: { id: account.id },
        data: { ...bump, status: "TERMINATED" },
      });
      await recordChange(tx, actor, {
        action: "account.terminate",
        targetType: "HostingAccount",
        targetId: account.id,
        resellerId: customer.resellerId,
        customerId: id,
        before: { username: account.username, status: account.status },
        after: { username: account.username, status: "TERMINATED", deleted: true },
        outbox: { topic: "account.reconcile", payload: { accountId: account.id } },
      });
    }

    const logins = await tx.user.findMany({ where: { customerId: id, disabledAt: null }, select: { id: true, email: true } });
    for (const login of logins) {
      await tx.user.update({ where: { id: login.id }, data: { disabledAt: now } });
      await tx.session.deleteMany({ where: { userId: login.id } });
      await recordChange(tx, actor, {
        action: "user.disable",
        targetType: "User",
        targetId: login.id,
        resellerId: customer.resellerId,
        customerId: id,
        after: { email: login.email, disabled: true },
      });
    }
    return tx.customer.findUniqueOrThrow({ where: { id }, select: customerDetailSelect });
  });
}
