import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { nodeSpecSchema } from "../../../server/contract/node-spec";
import type { AccountUsage, UsageReport } from "../../../server/contract/node-usage";
import { buildNodeSpec } from "../../../worker/control/build-node-spec";
import { controlAddressesFrom, setControlAddresses } from "../../../worker/control/control-addresses";
import { handleOutboxEvent } from "../../../worker/control/handle-outbox-event";
import { collectUsage } from "../../../worker/control/usage";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { testNodeTls } from "../../helpers/cluster-tls";

// The plan's limits and the admin's egress settings as the control plane hands them to nodes, and
// what a node reports back stored per account. The "agent" here is a stub HTTP server answering
// GET /v1/usage on 127.0.41.30 (this helper's loopback range); the real agent's report is tested
// with the agent.

const clusterSecret = "cluster-secret-for-plan-limits-tests-0123";
type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
let nodeA: { id: string; address: string };
let nodeB: { id: string; address: string };
let stub: https.Server;
let report: UsageReport;

function accountUsage(username: string, over: Partial<AccountUsage> = {}): AccountUsage {
  return {
    username,
    diskBytes: 300 * 1024 * 1024,
    diskLimitBytes: 2_000 * 1024 * 1024,
    atDiskLimit: false,
    memoryBytes: 100 * 1024 * 1024,
    memoryLimitBytes: 768 * 1024 * 1024,
    memoryLimitHits: 3,
    oomKills: 1,
    cpuUsageUsec: 5_000_000,
    cpuThrottledPeriods: 42,
    cpuThrottledUsec: 1_500_000,
    pids: 9,
    pidsLimit: 200,
    pidsLimitHits: 0,
    ...over,
  };
}

beforeAll(async () => {
  w = await makeWorld();
  // An agent answers over TLS with its node certificate, as a real one does.
  stub = https.createServer(await testNodeTls({ address: "127.0.41.30" }), (req, res) => {
    if (req.method === "GET" && req.url === "/v1/usage") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(report));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => stub.listen(0, "127.0.41.30", resolve));
  const port = (stub.address() as AddressInfo).port;
  nodeA = await db.node.create({ data: { name: "limits-a", address: "127.0.41.30", agentPort: port, status: "HEALTHY" }, select: { id: true, address: true } });
  nodeB = await db.node.create({ data: { name: "limits-b", address: "127.0.41.31", agentPort: 17431, status: "HEALTHY" }, select: { id: true, address: true } });
  // Account A has a database on node A, so node A's spec carries the account.
  await db.database.create({ data: { accountId: w.customers.a.account.id, nodeId: nodeA.id, name: `${w.customers.a.account.username}_shop` } });
});

afterAll(async () => {
  setControlAddresses([]);
  await new Promise((resolve) => stub?.close(resolve));
});

describe("buildNodeSpec", () => {
  it("gives each account its plan's limits, and a plan change goes to every node", async () => {
    const plan = w.customers.a.plan;
    const updated = await callerFor(w.users.resellerA).plan.update({ id: plan.id, cpuPercent: 150, memoryMb: 768, pids: 200, ioWeight: 300, diskMb: 2_000 });
    expect(updated.generation).toBe(plan.generation + 1);
    const event = await db.outboxEvent.findFirstOrThrow({ where: { aggregateId: plan.id, topic: "plan.reconcile" }, orderBy: { id: "desc" } });
    const all: string[] = [];
    await handleOutboxEvent(db, { outboxId: String(event.id), topic: "plan.reconcile", aggregateType: event.aggregateType, aggregateId: plan.id }, async () => undefined, async () => void all.push("all"));
    expect(all).toEqual(["all"]);

    const { spec } = await buildNodeSpec(db, nodeA.id, clusterSecret);
    const account = spec.accounts.find((a) => a.id === w.customers.a.account.id);
    expect(account?.limits).toEqual({ cpuPercent: 150, memoryMb: 768, pids: 200, ioWeight: 300, diskMb: 2_000 });
    // What the agent checks at its door accepts it.
    expect(nodeSpecSchema.safeParse(spec).success).toBe(true);
  });

  it("keeps a plan's value past a bound lowered since", async () => {
    const admin = callerFor(w.users.admin);
    const current = await admin.settings.get();
    await admin.settings.update({ bounds: { ...current.bounds, maxMemoryMb: 512 }, egressAllow: current.egressAllow });
    const { spec } = await buildNodeSpec(db, nodeA.id, clusterSecret);
    expect(spec.accounts.find((a) => a.id === w.customers.a.account.id)?.limits?.memoryMb).toBe(768);
    await admin.settings.update({ bounds: current.bounds, egressAllow: current.egressAllow });
  });

  it("puts the admin's allow list and every node's and the control plane's addresses in egress", async () => {
    const admin = callerFor(w.users.admin);
    const current = await admin.settings.get();
    const allow = [{ address: "192.0.2.0/24", port: 5432 }, { address: "198.51.100.7", port: null }];
    await admin.settings.update({ bounds: current.bounds, egressAllow: allow });
    setControlAddresses(controlAddressesFrom(["postgresql://shoal@203.0.113.5:5432/shoal", "redis://cache.internal:6379"], " 203.0.113.9, 198.18.0.0/15 "));

    const a = await buildNodeSpec(db, nodeA.id, clusterSecret);
    const b = await buildNodeSpec(db, nodeB.id, clusterSecret);
    for (const { spec } of [a, b]) {
      expect(spec.egress?.allow).toEqual(allow);
      // A host name (the Redis URL's) cannot go into a firewall rule and is left out.
      expect(spec.egress?.clusterAddresses).toEqual(["127.0.41.30", "127.0.41.31", "198.18.0.0/15", "203.0.113.5", "203.0.113.9"]);
      expect(nodeSpecSchema.safeParse(spec).success).toBe(true);
    }
    // The change is announced to every node.
    const event = await db.outboxEvent.findFirstOrThrow({ where: { topic: "settings.changed" }, orderBy: { id: "desc" } });
    const all: string[] = [];
    await handleOutboxEvent(db, { outboxId: String(event.id), topic: "settings.changed", aggregateType: event.aggregateType, aggregateId: event.aggregateId }, async () => undefined, async () => void all.push("all"));
    expect(all).toEqual(["all"]);
    // So is a node's: its address is in every node's egress rules.
    const some: string[] = [];
    await handleOutboxEvent(db, { outboxId: "1", topic: "node.changed", aggregateType: "Node", aggregateId: nodeB.id }, async (ids) => void some.push(...ids), async () => void some.push("all"));
    expect(some).toEqual(["all"]);
  });
});

describe("collectUsage", () => {
  it("stores each account's figures per node, newest only, and drops an account the node no longer has", async () => {
    // The usage tick asks nodes that serve sites: give account A a live site on node A.
    const a = w.customers.a.account;
    const domain = await db.domain.create({ data: { accountId: a.id, name: `limits-${Date.now()}.example`, displayName: "limits.example" } });
    const site = await db.site.create({ data: { accountId: a.id, domainId: domain.id, placements: { create: { nodeId: nodeA.id, role: "PRIMARY" } } } });
    report = {
      storage: "btrfs",
      measuredAt: new Date().toISOString(),
      consistent: true,
      sites: [{ siteId: site.id, filesBytes: 1_000, dumpBytes: 0, snapshotBytes: 0, snapshots: 0 }],
      databases: [],
      accounts: [accountUsage(a.username), accountUsage("someone-gone")],
      tookMs: 1,
    };
    const first = await collectUsage(db, clusterSecret);
    expect(first.accountsUpdated).toBe(1);
    const row = await db.accountNodeUsage.findUniqueOrThrow({ where: { accountId_nodeId: { accountId: a.id, nodeId: nodeA.id } } });
    expect(row).toMatchObject({ diskBytes: BigInt(300 * 1024 * 1024), memoryLimitHits: 3n, oomKills: 1n, cpuThrottledPeriods: 42n, pids: 9, pidsLimit: 200, atDiskLimit: false });

    // At the limit, during a rescan (no disk figure): the flag is taken, the last disk figure kept.
    report = { ...report, measuredAt: new Date().toISOString(), accounts: [accountUsage(a.username, { atDiskLimit: true, diskBytes: null, oomKills: 2 })] };
    await collectUsage(db, clusterSecret);
    expect(await db.accountNodeUsage.count({ where: { accountId: a.id } })).toBe(1);
    expect(await db.accountNodeUsage.findUniqueOrThrow({ where: { accountId_nodeId: { accountId: a.id, nodeId: nodeA.id } } })).toMatchObject({
      atDiskLimit: true,
      diskBytes: BigInt(300 * 1024 * 1024),
      oomKills: 2n,
    });

    // The customer's dashboard says so.
    const dash = await callerFor(w.users.customerA).dashboard.get({ accountId: a.id });
    expect(dash.limits).toMatchObject({ servers: 1, atDiskLimit: true, oomKills: 2, cpuThrottledPeriods: 42, memoryLimitBytes: 768 * 1024 * 1024 });
    expect(dash.limits.plan.memoryMb).toBe(768);

    // The account's sites left the node: its row goes at the node's next report.
    report = { ...report, accounts: [] };
    await collectUsage(db, clusterSecret);
    expect(await db.accountNodeUsage.count({ where: { accountId: a.id } })).toBe(0);
  });
});
