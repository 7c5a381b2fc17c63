import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { defaultBalancerSettings, planMoves } from "../../../server/domain/balancer";
import { readBalancerInputs } from "../../../server/services/cluster/cluster-inputs";
import { makeCustomer, makeWorld } from "../../helpers/fixtures";

const heartbeat = (sites: Record<string, number>, usagePct: number, cores = 2) => ({
  at: "2030-01-01T00:00:00.000Z",
  uptimeSec: 60,
  cpu: { cores, load1: 1, usagePct },
  memory: { totalMb: 4096, availableMb: 2048, agentRssMb: 60 },
  disk: { totalMb: 100_000, usedMb: 10_000, freeMb: 90_000 },
  sites: Object.fromEntries(Object.entries(sites).map(([host, r]) => [host, { requestsPerSec: r, errorsPerSec: 0 }])),
});

let ids: Record<string, string>;
const finishedAt = new Date(Date.now() - 60_000);

beforeAll(async () => {
  const w = await makeWorld();
  const { account } = await makeCustomer(w.resellerA.id);
  const site = async (name: string) => {
    const domain = await db.domain.create({ data: { accountId: account.id, name, displayName: name } });
    return (await db.site.create({ data: { accountId: account.id, domainId: domain.id } })).id;
  };
  // hot carries shop (38 req/s), blog and a host that is no site of its own (a replica's domain
  // reported by mistake, or a stale host): only its live sites' traffic counts.
  const hot = (await db.node.create({ data: { name: "in-hot", address: "127.0.21.1", status: "HEALTHY", metrics: heartbeat({ "shop.in.test": 38, "blog.in.test": 19, "stray.in.test": 5 }, 92) } })).id;
  const cold = (await db.node.create({ data: { name: "in-cold", address: "127.0.21.2", status: "HEALTHY", capacityCpus: 2, metrics: heartbeat({}, 20, 4) } })).id;
  const silent = (await db.node.create({ data: { name: "in-silent", address: "127.0.21.3", status: "PENDING", capacityCpus: 8 } })).id;
  const shop = await site("shop.in.test");
  const blog = await site("blog.in.test");
  const busy = await site("busy.in.test");
  await db.placement.createMany({
    data: [
      { siteId: shop, nodeId: hot, role: "PRIMARY", epoch: 2 },
      { siteId: shop, nodeId: cold, role: "REPLICA", epoch: 2 },
      { siteId: blog, nodeId: hot, role: "PRIMARY" },
      { siteId: busy, nodeId: cold, role: "PRIMARY" },
    ],
  });
  await db.snapshot.createMany({
    data: [
      { siteId: shop, nodeId: hot, name: "a", takenAt: new Date(2_000_000) },
      { siteId: shop, nodeId: cold, name: "b", takenAt: new Date(1_000_000) },
    ],
  });
  await db.operation.createMany({
    data: [
      { kind: "site.move", targetType: "Site", targetId: blog, status: "SUCCEEDED", resellerId: w.resellerA.id, finishedAt },
      { kind: "site.move", targetType: "Site", targetId: blog, status: "SUCCEEDED", resellerId: w.resellerA.id, finishedAt: new Date(0) },
      { kind: "site.update", targetType: "Site", targetId: busy, status: "RUNNING", resellerId: w.resellerA.id },
    ],
  });
  ids = { hot, cold, silent, shop, blog, busy };
});

describe("readBalancerInputs", () => {
  it("maps heartbeat hosts to live sites, with pins, replicas, last move and busy sites", async () => {
    const inputs = await readBalancerInputs(db);
    const nodes = Object.fromEntries(inputs.nodes.map((n) => [n.name, n]));
    expect(nodes["in-hot"]).toEqual({ id: ids.hot, name: "in-hot", status: "HEALTHY", cores: 2, cpuPct: 92, siteRequestsPerSec: { [ids.shop!]: 38, [ids.blog!]: 19 } });
    // The heartbeat's core count wins over the registered capacity; no heartbeat, no load.
    expect(nodes["in-cold"]).toMatchObject({ cores: 4, cpuPct: 20, siteRequestsPerSec: {} });
    expect(nodes["in-silent"]).toMatchObject({ status: "PENDING", cores: 8, cpuPct: null });
    const sites = Object.fromEntries(inputs.sites.map((s) => [s.name, s]));
    expect(sites["shop.in.test"]).toEqual({ id: ids.shop, name: "shop.in.test", liveNodeId: ids.hot, pinnedNodeId: null, replicaNodeIds: [ids.cold], lastMovedAt: null, busy: false });
    expect(sites["blog.in.test"]).toMatchObject({ lastMovedAt: finishedAt, busy: false });
    expect(sites["busy.in.test"]).toMatchObject({ busy: true });

    // End to end through the pure balancer: blog moved a minute ago (cool-down), so shop goes,
    // to the node that already holds its replica.
    const plan = planMoves(inputs.nodes, inputs.sites, defaultBalancerSettings, new Date());
    expect(plan.moves).toMatchObject([{ siteId: ids.shop, fromNodeId: ids.hot, toNodeId: ids.cold, toReplica: true }]);
  });
});
