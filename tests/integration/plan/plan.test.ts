import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
  // Copies are bounded by the nodes that can hold one: rows are enough, nothing is contacted.
  for (let i = 1; i <= 5; i++) await db.node.create({ data: { name: `plan-node-${i}`, address: `127.0.41.${i}`, agentPort: 17410 + i, status: "HEALTHY" } });
});

/** The widest bounds the platform settings can hold, so the system's own ranges are what is tested. */
async function widestBounds() {
  await db.platformSettings.update({
    where: { id: 1 },
    data: { maxCpuPercent: 6_400, maxMemoryMb: 262_144, maxPids: 65_536, maxDiskMb: 10_000_000, minSnapshotCadenceSec: 1, maxKeepAllMinutes: 1_440, maxKeepHourlyDays: 90, maxKeepDailyDays: 3_650 },
  });
}

const limits = {
  maxSites: 10,
  diskMb: 20_000,
  maxDatabases: 10,
  maxMailboxes: 50,
  trafficGbMonth: 500,
  copies: 2,
  snapshotCadenceSec: 60,
  keepAllMinutes: 60,
  keepHourlyDays: 7,
  keepDailyDays: 30,
  cpuPercent: 100,
  memoryMb: 512,
  pids: 128,
  ioWeight: 100,
};

let n = 0;
const planName = () => `Plan ${++n}`;

async function counts() {
  return { plans: await db.plan.count(), audit: await db.auditEvent.count(), outbox: await db.outboxEvent.count() };
}

describe("plan.create", () => {
  it("creates a plan for the reseller's own tree and records it", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: " Gold ", ...limits });
    expect(plan).toMatchObject({ name: "Gold", resellerId: w.resellerA.id, generation: 1, archivedAt: null, ...limits });
    const audit = await db.auditEvent.findMany({ where: { targetId: plan.id } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "plan.create", resellerId: w.resellerA.id, actorId: w.users.resellerA.id });
    // Creating a plan changes nothing on a node until an account uses it.
    expect(await db.outboxEvent.count({ where: { aggregateId: plan.id } })).toBe(0);

    const sub = await callerFor(w.users.resellerA).plan.create({ name: "Gold", resellerId: w.subA.id, ...limits });
    expect(sub.resellerId).toBe(w.subA.id);
  });

  it("needs an admin to say which reseller the plan belongs to", async () => {
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.admin).plan.create({ name: planName(), ...limits }));
    expect(f.fields).toHaveProperty("resellerId");
    expect(await counts()).toEqual(before);
    const plan = await callerFor(w.users.admin).plan.create({ name: planName(), resellerId: w.resellerB.id, ...limits });
    expect(plan.resellerId).toBe(w.resellerB.id);
  });

  it("refuses another tree's reseller as not found and writes nothing", async () => {
    const before = await counts();
    const f = await expectFailure(
      callerFor(w.users.resellerB).plan.create({ name: planName(), resellerId: w.resellerA.id, ...limits }),
    );
    expect(f.code).toBe("NOT_FOUND");
    const g = await expectFailure(callerFor(w.users.subA).plan.create({ name: planName(), resellerId: w.resellerA.id, ...limits }));
    expect(g.code).toBe("NOT_FOUND");
    expect(await counts()).toEqual(before);
  });

  it("reports a duplicate name next to the name field, per reseller", async () => {
    const name = planName();
    await callerFor(w.users.resellerA).plan.create({ name, ...limits });
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).plan.create({ name, ...limits }));
    expect(f).toMatchObject({ code: "CONFLICT", appCode: "ALREADY_EXISTS" });
    expect(f.fields).toHaveProperty("name");
    expect(await counts()).toEqual(before);
    // Another reseller may use the same name.
    await callerFor(w.users.resellerB).plan.create({ name, ...limits });
  });

  it.each([
    ["maxSites", 0],
    ["maxSites", 10_001],
    ["diskMb", 99],
    ["diskMb", 10_000_001],
    ["maxDatabases", -1],
    ["maxMailboxes", 100_001],
    ["trafficGbMonth", 0],
    ["copies", 6],
    ["copies", 0],
    ["snapshotCadenceSec", 0],
    ["snapshotCadenceSec", 86_401],
    ["keepAllMinutes", 1_441],
    ["keepHourlyDays", 91],
    ["keepDailyDays", 3_651],
    ["maxSites", 1.5],
    ["cpuPercent", 4],
    ["cpuPercent", 6_401],
    ["memoryMb", 63],
    ["pids", 15],
    ["ioWeight", 0],
    ["ioWeight", 10_001],
  ])("rejects %s = %s next to the field", async (field, value) => {
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, [field]: value }));
    expect(f.code).toBe("BAD_REQUEST");
    expect(Object.keys(f.fields)).toEqual([field]);
    expect(await counts()).toEqual(before);
  });

  it("accepts the bounds themselves", async () => {
    await widestBounds();
    const low = { maxSites: 1, diskMb: 100, maxDatabases: 0, maxMailboxes: 0, trafficGbMonth: 1, copies: 1, snapshotCadenceSec: 1, keepAllMinutes: 0, keepHourlyDays: 0, keepDailyDays: 0, cpuPercent: 5, memoryMb: 64, pids: 16, ioWeight: 1 };
    const high = { maxSites: 10_000, diskMb: 10_000_000, maxDatabases: 10_000, maxMailboxes: 100_000, trafficGbMonth: 1_000_000, copies: 5, snapshotCadenceSec: 86_400, keepAllMinutes: 1_440, keepHourlyDays: 90, keepDailyDays: 3_650, cpuPercent: 6_400, memoryMb: 262_144, pids: 65_536, ioWeight: 10_000 };
    try {
      await callerFor(w.users.resellerA).plan.create({ name: planName(), ...low });
      await callerFor(w.users.resellerA).plan.create({ name: planName(), ...high });
    } finally {
      await db.platformSettings.deleteMany();
    }
  });

  it.each([["Gold\nX-Injected: 1"], ["Gold\r"], ["Gold\0"], [""], ["   "], ["x".repeat(81)]])(
    "rejects the name %j",
    async (name) => {
      const before = await counts();
      const f = await expectFailure(callerFor(w.users.resellerA).plan.create({ name, ...limits }));
      expect(Object.keys(f.fields)).toEqual(["name"]);
      expect(await counts()).toEqual(before);
    },
  );
});

describe("plan.list and plan.get", () => {
  it("shows each reseller its own tree only", async () => {
    const all = async (user: World["users"]["admin"]) =>
      (await callerFor(user).plan.list({ limit: 100, includeArchived: true })).items.map((p) => p.resellerId);
    const a = new Set(await all(w.users.resellerA));
    expect(a).toEqual(new Set([w.resellerA.id, w.subA.id]));
    expect(new Set(await all(w.users.resellerB))).toEqual(new Set([w.resellerB.id]));
    expect(new Set(await all(w.users.subA))).toEqual(new Set([w.subA.id]));
    expect(new Set(await all(w.users.admin))).toEqual(new Set([w.resellerA.id, w.resellerB.id, w.subA.id]));
  });

  it("filters by reseller (the customer form's plan picker) and hides archived plans by default", async () => {
    const kept = await callerFor(w.users.subA).plan.create({ name: planName(), ...limits });
    const gone = await callerFor(w.users.subA).plan.create({ name: planName(), ...limits });
    await callerFor(w.users.subA).plan.archive({ id: gone.id });
    const list = await callerFor(w.users.resellerA).plan.list({ resellerId: w.subA.id, limit: 100 });
    const ids = list.items.map((p) => p.id);
    expect(ids).toContain(kept.id);
    expect(ids).not.toContain(gone.id);
    expect(list.items.every((p) => p.resellerId === w.subA.id)).toBe(true);
    const withArchived = await callerFor(w.users.resellerA).plan.list({ resellerId: w.subA.id, limit: 100, includeArchived: true });
    expect(withArchived.items.map((p) => p.id)).toContain(gone.id);
    // Someone else's reseller id filters to nothing rather than widening the scope.
    expect((await callerFor(w.users.resellerB).plan.list({ resellerId: w.subA.id })).items).toEqual([]);
  });

  it("pages through every plan exactly once, by name both ways", async () => {
    for (const direction of ["asc", "desc"] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: { id: string }[]; nextCursor: string | null } = await callerFor(w.users.admin).plan.list({
          limit: 2,
          cursor,
          direction,
          includeArchived: true,
        });
        seen.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.length).toBe(await db.plan.count());
      expect(new Set(seen).size).toBe(seen.length);
    }
  });

  it("reads another tree's plan as not found", async () => {
    const planA = w.customers.a.plan;
    expect((await callerFor(w.users.resellerA).plan.get({ id: planA.id })).id).toBe(planA.id);
    expect((await callerFor(w.users.admin).plan.get({ id: planA.id })).id).toBe(planA.id);
    expect((await expectFailure(callerFor(w.users.resellerB).plan.get({ id: planA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.subA).plan.get({ id: planA.id }))).code).toBe("NOT_FOUND");
    expect((await callerFor(w.users.resellerA).plan.get({ id: w.customers.s.plan.id })).resellerId).toBe(w.subA.id);
  });
});

describe("plan.update", () => {
  it("bumps the generation and records the change with an outbox row in one go", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const updated = await callerFor(w.users.resellerA).plan.update({ id: plan.id, diskMb: 40_000, copies: 3 });
    expect(updated).toMatchObject({ diskMb: 40_000, copies: 3, generation: 2, maxSites: limits.maxSites });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: plan.id, action: "plan.update" } });
    expect(audit.before).toEqual({ diskMb: 20_000, copies: 2 });
    expect(audit.after).toEqual({ diskMb: 40_000, copies: 3 });
    const outbox = await db.outboxEvent.findMany({ where: { aggregateId: plan.id } });
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ topic: "plan.reconcile", aggregateType: "Plan", payload: { planId: plan.id } });
  });

  it("does nothing for an unchanged plan", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const before = await counts();
    const same = await callerFor(w.users.resellerA).plan.update({ id: plan.id, name: plan.name, copies: plan.copies });
    expect(same.generation).toBe(1);
    expect(await counts()).toEqual(before);
  });

  it("reports a rename onto a taken name on the name field and changes nothing", async () => {
    const one = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const two = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).plan.update({ id: two.id, name: one.name, copies: 4 }));
    expect(f.appCode).toBe("ALREADY_EXISTS");
    expect(f.fields).toHaveProperty("name");
    expect(await counts()).toEqual(before);
    expect(await db.plan.findUniqueOrThrow({ where: { id: two.id } })).toMatchObject({ name: two.name, copies: 2, generation: 1 });
  });

  it("reads another tree's plan as not found and leaves it alone", async () => {
    const planA = w.customers.a.plan;
    const f = await expectFailure(callerFor(w.users.resellerB).plan.update({ id: planA.id, maxSites: 1 }));
    expect(f.code).toBe("NOT_FOUND");
    expect((await db.plan.findUniqueOrThrow({ where: { id: planA.id } })).maxSites).toBe(planA.maxSites);
  });

  it("rejects out-of-bounds limits", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const f = await expectFailure(callerFor(w.users.resellerA).plan.update({ id: plan.id, keepHourlyDays: 91 }));
    expect(Object.keys(f.fields)).toEqual(["keepHourlyDays"]);
  });
});

describe("plan.archive", () => {
  it("hides the plan from new accounts but keeps existing ones on it", async () => {
    const { plan, account } = w.customers.b;
    const archived = await callerFor(w.users.resellerB).plan.archive({ id: plan.id });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect(archived._count.accounts).toBe(1);
    expect((await db.hostingAccount.findUniqueOrThrow({ where: { id: account.id } })).planId).toBe(plan.id);
    expect(await db.auditEvent.count({ where: { targetId: plan.id, action: "plan.archive" } })).toBe(1);
    const f = await expectFailure(callerFor(w.users.resellerB).plan.archive({ id: plan.id }));
    expect(f.code).toBe("PRECONDITION_FAILED");
  });

  it("reads another tree's plan as not found", async () => {
    const f = await expectFailure(callerFor(w.users.resellerB).plan.archive({ id: w.customers.a.plan.id }));
    expect(f.code).toBe("NOT_FOUND");
    expect((await db.plan.findUniqueOrThrow({ where: { id: w.customers.a.plan.id } })).archivedAt).toBeNull();
  });
});

describe("plan.* for a customer login", () => {
  it("is forbidden", async () => {
    const c = callerFor(w.users.customerA);
    const id = w.customers.a.plan.id;
    for (const call of [
      () => c.plan.list({}),
      () => c.plan.get({ id }),
      () => c.plan.create({ name: planName(), ...limits }),
      () => c.plan.update({ id, maxSites: 2 }),
      () => c.plan.archive({ id }),
      () => c.plan.bounds(),
      () => c.settings.get(),
    ]) {
      expect((await expectFailure(call())).code).toBe("FORBIDDEN");
    }
  });
});

describe("the admin's bounds on plans", () => {
  const admin = () => callerFor(w.users.admin);
  const settingsInput = async () => {
    const current = await admin().settings.get();
    return { bounds: current.bounds, egressAllow: current.egressAllow };
  };

  it("refuses a plan over a bound with the message on that field, and writes nothing", async () => {
    const input = await settingsInput();
    await admin().settings.update({ ...input, bounds: { ...input.bounds, maxMemoryMb: 1_024, maxCpuPercent: 200 } });
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, memoryMb: 2_048 }));
    expect(f).toMatchObject({ code: "BAD_REQUEST", appCode: "BAD_INPUT" });
    expect(f.fields).toEqual({ memoryMb: "Must be at most 1,024 (the platform's limit)." });
    // Every field past its bound gets its own message.
    const g = await expectFailure(callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, memoryMb: 2_048, cpuPercent: 400, snapshotCadenceSec: 10 }));
    expect(Object.keys(g.fields).sort()).toEqual(["cpuPercent", "memoryMb", "snapshotCadenceSec"]);
    expect(await counts()).toEqual(before);
    // The bound itself is allowed.
    await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, memoryMb: 1_024, cpuPercent: 200 });
    await db.platformSettings.deleteMany();
  });

  it("refuses more copies than the nodes that can hold one (drained nodes do not count)", async () => {
    await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, copies: 5 });
    await db.node.updateMany({ where: { name: "plan-node-5" }, data: { status: "DRAINING" } });
    const f = await expectFailure(callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, copies: 5 }));
    expect(f.fields).toEqual({ copies: "Must be at most 4 (the cluster has 4 nodes)." });
    const bounds = await callerFor(w.users.resellerA).plan.bounds();
    expect(bounds.copyNodes).toBe(4);
    expect(bounds.fields.copies).toEqual({ min: 1, max: 4, why: "the cluster has 4 nodes" });
    await db.node.updateMany({ where: { name: "plan-node-5" }, data: { status: "HEALTHY" } });
  });

  it("refuses an update over a bound on its field and leaves the plan as it was", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits });
    const input = await settingsInput();
    await admin().settings.update({ ...input, bounds: { ...input.bounds, maxPids: 256 } });
    const before = await counts();
    const f = await expectFailure(callerFor(w.users.resellerA).plan.update({ id: plan.id, name: "Renamed", pids: 512, maxSites: 3 }));
    expect(f.fields).toEqual({ pids: "Must be at most 256 (the platform's limit)." });
    expect(await counts()).toEqual(before);
    expect(await db.plan.findUniqueOrThrow({ where: { id: plan.id } })).toMatchObject({ name: plan.name, pids: 128, maxSites: limits.maxSites, generation: 1 });
    await db.platformSettings.deleteMany();
  });

  it("leaves a plan over a lowered bound as it is until that value is changed", async () => {
    const plan = await callerFor(w.users.resellerA).plan.create({ name: planName(), ...limits, diskMb: 50_000 });
    const input = await settingsInput();
    await admin().settings.update({ ...input, bounds: { ...input.bounds, maxDiskMb: 30_000 } });
    expect((await db.plan.findUniqueOrThrow({ where: { id: plan.id } })).diskMb).toBe(50_000);
    expect((await admin().settings.get()).plansOverBounds.maxDiskMb).toBeGreaterThanOrEqual(1);
    // Other fields can still be edited, the form sending the old disk value with them.
    const renamed = await callerFor(w.users.resellerA).plan.update({ id: plan.id, ...limits, diskMb: 50_000, maxSites: 4 });
    expect(renamed).toMatchObject({ diskMb: 50_000, maxSites: 4 });
    const f = await expectFailure(callerFor(w.users.resellerA).plan.update({ id: plan.id, diskMb: 40_000 }));
    expect(Object.keys(f.fields)).toEqual(["diskMb"]);
    expect((await callerFor(w.users.resellerA).plan.update({ id: plan.id, diskMb: 30_000 })).diskMb).toBe(30_000);
    await db.platformSettings.deleteMany();
  });
});

describe("settings.update", () => {
  it("records bound changes without touching nodes, and sends an egress change to every node", async () => {
    const admin = callerFor(w.users.admin);
    const current = await admin.settings.get();
    const outbox = () => db.outboxEvent.count({ where: { topic: "settings.changed" } });
    const before = await outbox();
    const audits = await db.auditEvent.count({ where: { action: "settings.update" } });
    const updated = await admin.settings.update({ bounds: { ...current.bounds, maxPids: 2_000 }, egressAllow: current.egressAllow });
    expect(updated.bounds.maxPids).toBe(2_000);
    expect(await outbox()).toBe(before);
    expect(await db.auditEvent.count({ where: { action: "settings.update" } })).toBe(audits + 1);
    const allow = [{ address: "203.0.113.0/24", port: 443 }, { address: "198.51.100.7", port: null }];
    expect((await admin.settings.update({ bounds: updated.bounds, egressAllow: allow })).egressAllow).toEqual(allow);
    expect(await outbox()).toBe(before + 1);
    expect((await db.outboxEvent.findFirstOrThrow({ where: { topic: "settings.changed" } })).aggregateType).toBe("PlatformSettings");
  });

  it("puts each error next to its field and saves nothing", async () => {
    const admin = callerFor(w.users.admin);
    const current = await admin.settings.get();
    const f = await expectFailure(
      admin.settings.update({
        bounds: { ...current.bounds, maxMemoryMb: 10, minSnapshotCadenceSec: 0 },
        egressAllow: [{ address: "203.0.113.1", port: 443 }, { address: "10.0.0.0/33", port: 70_000 }],
      }),
    );
    expect(Object.keys(f.fields).sort()).toEqual(["bounds.maxMemoryMb", "bounds.minSnapshotCadenceSec", "egressAllow.1.address", "egressAllow.1.port"]);
    expect(await admin.settings.get()).toEqual(current);
  });

  it("is for admins only", async () => {
    const current = await callerFor(w.users.admin).settings.get();
    for (const user of [w.users.resellerA, w.users.subA, w.users.customerA]) {
      const c = callerFor(user);
      expect((await expectFailure(c.settings.get())).code).toBe("FORBIDDEN");
      expect((await expectFailure(c.settings.update({ bounds: current.bounds, egressAllow: [] }))).code).toBe("FORBIDDEN");
    }
  });
});
