import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeCustomer, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

const spec = (name: string, address: string) => ({
  name,
  address,
  agentPort: 7400,
  capacitySites: 500,
  capacityDiskMb: 100_000,
  capacityCpus: 4,
  capacityMemoryMb: 8192,
});

async function counts() {
  return { nodes: await db.node.count(), audit: await db.auditEvent.count(), outbox: await db.outboxEvent.count() };
}

describe("node.register", () => {
  it("registers a PENDING node with audit and outbox in one go", async () => {
    const before = await counts();
    const node = await callerFor(w.users.admin).node.register(spec(" Node-1 ", "127.0.10.1"));
    expect(node).toMatchObject({ name: "node-1", address: "127.0.10.1", status: "PENDING", lastHeartbeatAt: null, siteCount: 0 });
    expect(await counts()).toEqual({ nodes: before.nodes + 1, audit: before.audit + 1, outbox: before.outbox + 1 });
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: node.id } });
    expect(audit).toMatchObject({ action: "node.register", resellerId: w.platform.id, actorId: w.users.admin.id });
    const v6 = await callerFor(w.users.admin).node.register(spec("node-v6", "FD00::A"));
    expect(v6.address).toBe("fd00::a");
  });

  it("is for admins only", async () => {
    for (const who of ["resellerA", "subA", "customerA"] as const) {
      expect((await expectFailure(callerFor(w.users[who]).node.register(spec("x", "127.0.10.9")))).code).toBe("FORBIDDEN");
      expect((await expectFailure(callerFor(w.users[who]).node.list({}))).code).toBe("FORBIDDEN");
    }
    expect((await expectFailure(callerFor(null).node.list({}))).code).toBe("UNAUTHORIZED");
  });

  it("rejects bad fields next to the field and saves nothing", async () => {
    const admin = callerFor(w.users.admin);
    const before = await counts();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ address: "300.1.1.1" }, "address"],
      [{ address: "node.example.test" }, "address"],
      [{ address: "127.0.0.1\nHost: evil" }, "address"],
      [{ name: "-bad" }, "name"],
      [{ name: "has space" }, "name"],
      [{ name: "a".repeat(64) }, "name"],
      [{ agentPort: 80 }, "agentPort"],
      [{ agentPort: 70000 }, "agentPort"],
      [{ capacitySites: 0 }, "capacitySites"],
      [{ capacityCpus: 1.5 }, "capacityCpus"],
      [{ capacityMemoryMb: 100 }, "capacityMemoryMb"],
      [{ capacityDiskMb: 10 }, "capacityDiskMb"],
    ];
    for (const [patch, field] of cases) {
      const f = await expectFailure(admin.node.register({ ...spec("node-bad", "127.0.10.50"), ...patch }));
      expect(Object.keys(f.fields), JSON.stringify(patch)).toEqual([field]);
    }
    expect(await counts()).toEqual(before);
  });

  it("reports a taken name or agent endpoint as a field error", async () => {
    const admin = callerFor(w.users.admin);
    await admin.node.register(spec("node-dup", "127.0.10.2"));
    const before = await counts();
    const f = await expectFailure(admin.node.register(spec("node-dup", "127.0.10.3")));
    expect(f.code).toBe("CONFLICT");
    expect(f.fields).toHaveProperty("name");
    const g = await expectFailure(admin.node.register(spec("node-other", "127.0.10.2")));
    expect(g.code).toBe("CONFLICT");
    expect(g.fields).toHaveProperty("address");
    expect(await counts()).toEqual(before);
  });
});

describe("node.list / node.get", () => {
  it("lists with search, sort and keyset pages, and counts live sites", async () => {
    const admin = callerFor(w.users.admin);
    const a = await admin.node.register(spec("list-a", "127.0.11.1"));
    await admin.node.register(spec("list-b", "127.0.11.2"));
    await admin.node.register(spec("list-c", "127.0.11.3"));
    const { account } = await makeCustomer(w.resellerA.id);
    const domain = await db.domain.create({ data: { accountId: account.id, name: "nodes.example.test", displayName: "nodes.example.test" } });
    const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id } });
    await db.placement.create({ data: { siteId: site.id, nodeId: a.id, role: "PRIMARY" } });

    const page1 = await admin.node.list({ search: "LIST-", limit: 2, direction: "desc" });
    expect(page1.items.map((n) => n.name)).toEqual(["list-c", "list-b"]);
    const page2 = await admin.node.list({ search: "list-", limit: 2, direction: "desc", cursor: page1.nextCursor });
    expect(page2.items.map((n) => n.name)).toEqual(["list-a"]);
    expect(page2.nextCursor).toBeNull();
    expect(page2.items[0]!.siteCount).toBe(1);
    const byCreated = await admin.node.list({ search: "list-", sort: "createdAt" });
    expect(byCreated.items.map((n) => n.name)).toEqual(["list-a", "list-b", "list-c"]);

    expect(await admin.node.get({ id: a.id })).toMatchObject({ name: "list-a", siteCount: 1 });
    expect((await expectFailure(admin.node.get({ id: "missing" }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.resellerA).node.get({ id: a.id }))).code).toBe("FORBIDDEN");
  });
});

describe("node.update", () => {
  it("changes the spec, bumps the generation and records it", async () => {
    const admin = callerFor(w.users.admin);
    const node = await admin.node.register(spec("upd-1", "127.0.12.1"));
    const before = await counts();
    const updated = await admin.node.update({ id: node.id, ...spec("upd-1", "127.0.12.9"), capacitySites: 900 });
    expect(updated).toMatchObject({ address: "127.0.12.9", capacitySites: 900, generation: 2 });
    expect(await counts()).toEqual({ nodes: before.nodes, audit: before.audit + 1, outbox: before.outbox + 1 });
    // Keeping its own name and address is not a conflict with itself.
    await admin.node.update({ id: node.id, ...spec("upd-1", "127.0.12.9") });
  });

  it("rejects a name another node has and leaves the node as it was", async () => {
    const admin = callerFor(w.users.admin);
    await admin.node.register(spec("upd-taken", "127.0.12.2"));
    const node = await admin.node.register(spec("upd-2", "127.0.12.3"));
    const before = await counts();
    const f = await expectFailure(admin.node.update({ id: node.id, ...spec("upd-taken", "127.0.12.4") }));
    expect(f.fields).toHaveProperty("name");
    expect(await counts()).toEqual(before);
    expect(await db.node.findUniqueOrThrow({ where: { id: node.id } })).toMatchObject({ name: "upd-2", address: "127.0.12.3", generation: 1 });
    expect((await expectFailure(admin.node.update({ id: "missing", ...spec("zz", "127.0.12.5") }))).code).toBe("NOT_FOUND");
  });
});

describe("node.remove", () => {
  it("removes an empty node and refuses one that still holds placements", async () => {
    const admin = callerFor(w.users.admin);
    const empty = await admin.node.register(spec("rm-empty", "127.0.13.1"));
    const busy = await admin.node.register(spec("rm-busy", "127.0.13.2"));
    const { account } = await makeCustomer(w.resellerB.id);
    const domain = await db.domain.create({ data: { accountId: account.id, name: "rm.example.test", displayName: "rm.example.test" } });
    const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id } });
    await db.placement.create({ data: { siteId: site.id, nodeId: busy.id, role: "REPLICA" } });

    const before = await counts();
    const f = await expectFailure(admin.node.remove({ id: busy.id }));
    expect(f.code).toBe("PRECONDITION_FAILED");
    expect(await counts()).toEqual(before);

    await admin.node.remove({ id: empty.id });
    expect(await db.node.findUnique({ where: { id: empty.id } })).toBeNull();
    expect(await counts()).toEqual({ nodes: before.nodes - 1, audit: before.audit + 1, outbox: before.outbox + 1 });
    expect((await expectFailure(admin.node.remove({ id: empty.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.resellerA).node.remove({ id: busy.id }))).code).toBe("FORBIDDEN");
  });
});

describe("node.list heartbeat figures", () => {
  const heartbeat = {
    at: "2030-01-01T00:00:00.000Z",
    uptimeSec: 120,
    cpu: { cores: 2, load1: 0.42, usagePct: 37.5 },
    memory: { totalMb: 4096, availableMb: 1024, agentRssMb: 60 },
    disk: { totalMb: 100_000, usedMb: 25_000, freeMb: 75_000 },
    sites: { "a.example.test": { requestsPerSec: 2.5, errorsPerSec: 0 }, "b.example.test": { requestsPerSec: 1, errorsPerSec: 0.1 } },
  };

  it("sends the parsed numbers, the heartbeat's age and the last error, never the raw metrics", async () => {
    const admin = callerFor(w.users.admin);
    const node = await admin.node.register(spec("hb-1", "127.0.14.1"));
    expect((await admin.node.get({ id: node.id })).load).toBeNull();
    const longError = `The agent did not answer: ${"x".repeat(300)}`;
    await db.node.update({
      where: { id: node.id },
      data: { status: "HEALTHY", metrics: heartbeat, lastHeartbeatAt: new Date(Date.now() - 5_000), lastError: longError },
    });

    const listed = (await admin.node.list({ search: "hb-1" })).items[0]!;
    expect(listed).toMatchObject({ status: "HEALTHY", lastError: longError });
    expect(listed.load).toEqual({
      cpuPct: 37.5,
      load1: 0.42,
      cores: 2,
      memoryUsedMb: 3072,
      memoryTotalMb: 4096,
      diskUsedMb: 25_000,
      diskTotalMb: 100_000,
      requestsPerSec: 3.5,
    });
    expect(listed.heartbeatAgeSec).toBeGreaterThanOrEqual(5);
    expect(listed.heartbeatAgeSec).toBeLessThan(60);
    expect(listed).not.toHaveProperty("metrics");
    expect(JSON.stringify(listed)).not.toContain("agentRssMb");
    expect((await admin.node.get({ id: node.id })).load).toEqual(listed.load);
  });

  it("shows no figures for metrics that do not parse", async () => {
    const admin = callerFor(w.users.admin);
    const node = await admin.node.register(spec("hb-bad", "127.0.14.2"));
    await db.node.update({ where: { id: node.id }, data: { metrics: { ...heartbeat, cpu: { cores: 2, load1: 0.1, usagePct: 400 } } } });
    expect((await admin.node.get({ id: node.id })).load).toBeNull();
  });

  it("summarises the whole fleet whatever the page shows", async () => {
    const admin = callerFor(w.users.admin);
    const before = (await admin.node.list({ limit: 1 })).summary;
    const a = await admin.node.register(spec("sum-a", "127.0.15.1"));
    await admin.node.register(spec("sum-b", "127.0.15.2"));
    await db.node.update({ where: { id: a.id }, data: { status: "HEALTHY" } });
    const { account } = await makeCustomer(w.resellerA.id);
    const domain = await db.domain.create({ data: { accountId: account.id, name: "sum.example.test", displayName: "sum.example.test" } });
    const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id } });
    await db.placement.create({ data: { siteId: site.id, nodeId: a.id, role: "PRIMARY" } });

    const page = await admin.node.list({ search: "sum-a", limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.summary).toEqual({
      nodes: before.nodes + 2,
      byStatus: { ...before.byStatus, HEALTHY: before.byStatus.HEALTHY + 1, PENDING: before.byStatus.PENDING + 1 },
      silent: before.silent,
      sites: before.sites + 1,
    });
    expect(page.summary.nodes).toBe(await db.node.count());
  });
});
