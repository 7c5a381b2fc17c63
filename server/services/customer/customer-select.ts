import type { Prisma } from "../../generated/prisma/client";

/** A customer as a list row: the owning reseller's name is shown to admins and to resellers with subs. */
export const customerRowSelect = {
  id: true,
  name: true,
  email: true,
  company: true,
  status: true,
  createdAt: true,
  reseller: { select: { id: true, name: true } },
} satisfies Prisma.CustomerSelect;

export type CustomerRow = Prisma.CustomerGetPayload<{ select: typeof customerRowSelect }>;

/** A customer's page: its hosting accounts (torn-down ones too, marked by deletedAt) and its logins. */
export const customerDetailSelect = {
  ...customerRowSelect,
  updatedAt: true,
  generation: true,
  accounts: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      username: true,
      status: true,
      createdAt: true,
      deletedAt: true,
      plan: { select: { id: true, name: true } },
      // Whether a node refuses the account's writes (its disk limit): the flag only, not which node.
      nodeUsage: { where: { atDiskLimit: true }, take: 1, select: { atDiskLimit: true } },
    },
  },
  users: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, email: true },
  },
} satisfies Prisma.CustomerSelect;

export type CustomerDetail = Prisma.CustomerGetPayload<{ select: typeof customerDetailSelect }>;
