import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../auth/scope";
import { customerWhere } from "../../auth/scope";
import { customerDetailSelect, type CustomerDetail } from "./customer-select";

export async function getCustomer(scope: Scope, id: string): Promise<CustomerDetail> {
  const customer = await db.customer.findFirst({
    where: { AND: [{ id, deletedAt: null }, customerWhere(scope)] },
    select: customerDetailSelect,
  });
  if (!customer) throw AppError.notFound("Customer");
  return customer;
}
