import { db } from "../../../server/db";
import { makeCustomer } from "../../helpers/fixtures";
import type { MatrixCase, Tenant, World } from "../authz/matrix";

// Authorisation-matrix entries for the customer router (spread into tests/integration/authz/cases.ts).

const tenantReseller = (w: World, t: Tenant) => (t === "A" ? w.resellerA : t === "B" ? w.resellerB : w.subA);
const tenantCustomer = (w: World, t: Tenant) => (t === "A" ? w.customers.a : t === "B" ? w.customers.b : w.customers.s);

let n = 0;
/** Login emails are unique and lifecycle calls consume their customer: fresh ones per call. */
const fresh = () => `${++n}-${process.pid}`;

export const customerCases: Record<string, MatrixCase> = {
  "customer.list": { plainInput: {} },
  "customer.get": { input: async (w, t) => ({ id: tenantCustomer(w, t).customer.id }) },
  "customer.create": {
    input: async (w, t) => {
      const id = fresh();
      return {
        resellerId: tenantReseller(w, t).id,
        planId: tenantCustomer(w, t).plan.id,
        name: `Matrix customer ${id}`,
        email: `matrix-customer-${id}@example.test`,
        login: { email: `matrix-login-${id}@example.test`, password: "matrix passphrase" },
      };
    },
  },
  "customer.update": { input: async (w, t) => ({ id: tenantCustomer(w, t).customer.id, company: "Matrix Ltd" }) },
  "customer.suspend": { input: async (w, t) => ({ id: (await makeCustomer(tenantReseller(w, t).id)).customer.id }) },
  "customer.unsuspend": {
    input: async (w, t) => {
      const { customer } = await makeCustomer(tenantReseller(w, t).id);
      await db.customer.update({ where: { id: customer.id }, data: { status: "SUSPENDED" } });
      await db.hostingAccount.updateMany({ where: { customerId: customer.id }, data: { status: "SUSPENDED" } });
      return { id: customer.id };
    },
  },
  "customer.terminate": {
    input: async (w, t) => {
      const { customer } = await makeCustomer(tenantReseller(w, t).id, `Matrix doomed ${fresh()}`);
      return { id: customer.id, confirmName: customer.name };
    },
  },
};
