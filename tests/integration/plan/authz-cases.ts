import { db } from "../../../server/db";
import type { MatrixCase, Tenant, World } from "../authz/matrix";

// Authorisation-matrix entries for the plan router (spread into tests/integration/authz/cases.ts).

const tenantReseller = (w: World, t: Tenant) => (t === "A" ? w.resellerA : t === "B" ? w.resellerB : w.subA);
const tenantPlan = (w: World, t: Tenant) => (t === "A" ? w.customers.a : t === "B" ? w.customers.b : w.customers.s).plan;

const limits = {
  maxSites: 5,
  diskMb: 1_000,
  maxDatabases: 5,
  maxMailboxes: 5,
  trafficGbMonth: 10,
  // The matrix's world has no nodes: a plan may then have one copy.
  copies: 1,
  snapshotCadenceSec: 60,
  keepAllMinutes: 60,
  keepHourlyDays: 7,
  keepDailyDays: 30,
  cpuPercent: 100,
  memoryMb: 512,
  pids: 128,
  ioWeight: 100,
};

let plans = 0;
/** Names are unique per reseller and every allowed caller creates one: a fresh name per call. */
const freshName = () => `Matrix plan ${++plans}`;

export const planCases: Record<string, MatrixCase> = {
  "plan.list": { plainInput: {} },
  "plan.bounds": { plainInput: undefined },
  "plan.get": { input: async (w, t) => ({ id: tenantPlan(w, t).id }) },
  "plan.create": { input: async (w, t) => ({ resellerId: tenantReseller(w, t).id, name: freshName(), ...limits }) },
  "plan.update": { input: async (w, t) => ({ id: tenantPlan(w, t).id, maxSites: 7 }) },
  // Archiving twice is a precondition failure, so each call gets a plan of its own.
  "plan.archive": {
    input: async (w, t) => ({
      id: (await db.plan.create({ data: { resellerId: tenantReseller(w, t).id, name: freshName(), ...limits }, select: { id: true } })).id,
    }),
  },
};
