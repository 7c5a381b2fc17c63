import { db, type Tx } from "../../db";
import { AppError, isUniqueViolation } from "../../errors";
import { planWhere, resellerWhere, type Scope } from "../../auth/scope";
import { createLogin } from "../../auth/create-login";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { customerDetailSelect, type CustomerDetail } from "./customer-select";
import { usernameClash } from "../account/username-clash";
import { pickUnixUsername } from "./pick-unix-username";

export type CreateCustomerInput = {
  name: string;
  email: string;
  company?: string | null;
  /** Defaults to the caller's own reseller; a reseller may name one of its sub-resellers; an admin must name one. */
  resellerId?: string;
  planId: string;
  /** Already valid by the Unix username grammar; suggested from the name when absent. */
  unixUsername?: string;
  login: { email: string; password?: string };
};

// createLogin names its fields as in its own input; on this form they sit under "login".
const loginFields: Record<string, string> = { email: "login.email", password: "login.password", name: "name" };

export async function createCustomer(actor: Actor, input: CreateCustomerInput): Promise<CustomerDetail> {
  const { scope } = actor;
  const resellerId = input.resellerId ?? (scope.kind === "reseller" ? scope.resellerId : undefined);
  if (!resellerId) throw AppError.field("resellerId", "Choose the reseller this customer belongs to.");
  try {
    return await db.$transaction(async (tx) => {
      const { reseller, plan } = await resellerAndPlan(tx, scope, resellerId, input.planId);
      const username = await chooseUsername(tx, input);
      const customer = await tx.customer.create({
        data: {
          resellerId: reseller.id,
          name: input.name,
          email: input.email,
          company: input.company ?? null,
          accounts: { create: { planId: plan.id, username } },
        },
        select: { id: true, accounts: { select: { id: true } } },
      });
      const accountId = customer.accounts[0]!.id;
      await createCustomerLogin(tx, input, reseller.id, customer.id);
      await recordChange(tx, actor, {
        action: "customer.create",
        targetType: "Customer",
        targetId: customer.id,
        resellerId: reseller.id,
        customerId: customer.id,
        after: { name: input.name, email: input.email, company: input.company ?? null, loginEmail: input.login.email },
      });
      await recordChange(tx, actor, {
        action: "account.create",
        targetType: "HostingAccount",
        targetId: accountId,
        resellerId: reseller.id,
        customerId: customer.id,
        after: { username, plan: plan.name },
        outbox: { topic: "account.reconcile", payload: { accountId } },
      });
      return tx.customer.findUniqueOrThrow({ where: { id: customer.id }, select: customerDetailSelect });
    });
  } catch (e) {
    // Two creates racing for the same username: the live-username index decides, the loser gets a field error.
    if (isUniqueViolation(e)) throw AppError.field("unixUsername", "This username is taken.", "ALREADY_EXISTS");
    throw e;
  }
}

/** The active reseller the customer goes under, and one of its own plans that is not archived. */
async function resellerAndPlan(tx: Tx, scope: Scope, resellerId: string, planId: string) {
  const reseller = await tx.reseller.findFirst({
    where: { AND: [{ id: resellerId }, resellerWhere(scope)] },
    select: { id: true, status: true },
  });
  if (!reseller) throw AppError.field("resellerId", "Reseller not found.", "NOT_FOUND");
  if (reseller.status !== "ACTIVE") throw AppError.field("resellerId", "This reseller is not active.");
  // The plan must belong to the very reseller that will own the customer, not merely be visible.
  const plan = await tx.plan.findFirst({
    where: { AND: [{ id: planId, resellerId: reseller.id }, planWhere(scope)] },
    select: { id: true, name: true, archivedAt: true },
  });
  if (!plan) throw AppError.field("planId", "Choose one of this reseller's plans.");
  if (plan.archivedAt) throw AppError.field("planId", "This plan is archived; choose another.");
  return { reseller, plan };
}

/** The username asked for, if free, or one suggested from the name. */
async function chooseUsername(tx: Tx, input: CreateCustomerInput): Promise<string> {
  if (!input.unixUsername) return pickUnixUsername(tx, input.name);
  const taken = await tx.hostingAccount.findFirst({ where: { username: input.unixUsername, deletedAt: null }, select: { id: true } });
  if (taken) throw AppError.field("unixUsername", "This username is taken.", "ALREADY_EXISTS");
  const clash = await usernameClash(tx, input.unixUsername);
  if (clash) {
    throw AppError.field(
      "unixUsername",
      clash === input.unixUsername
        ? "This username belonged to an account that is still being removed; choose another."
        : `Too close to the existing username "${clash}": database names of the two accounts could be the same. Choose another (for example without the underscore).`,
      "ALREADY_EXISTS",
    );
  }
  return input.unixUsername;
}

/** The customer's panel login; its field errors named as on this form. */
async function createCustomerLogin(tx: Tx, input: CreateCustomerInput, resellerId: string, customerId: string): Promise<void> {
  try {
    await createLogin(tx, { email: input.login.email, name: input.name, role: "CUSTOMER", resellerId, customerId, password: input.login.password });
  } catch (e) {
    if (e instanceof AppError && e.fieldErrors) {
      const [field, message] = Object.entries(e.fieldErrors)[0]!;
      throw AppError.field(loginFields[field] ?? `login.${field}`, message, e.code);
    }
    throw e;
  }
}
