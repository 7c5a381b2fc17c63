import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { getClusterMap } from "../../../server/services/cluster/get-cluster-map";
import { clusterViewerScope, streamClusterMap } from "../../../server/services/cluster/stream-cluster-map";
import { clusterMapOutput } from "../../../server/trpc/routers/cluster/get-cluster-map.schema";
import { GET } from "../../../app/api/admin/cluster/events/route";
import { authFor, callerFor, makeCustomer, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";
import { headersFor, makeLogin, signIn } from "../auth/http";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
let ids: { n1: string; n2: string; n3: string; shop: string; blog: string; moving: string; opId: string };

const heartbeat = (sites: Record<string, number>, usagePct: number) => ({
  at: "2030-01-01T00:00:00.000Z",
  uptimeSec: 60,
  cpu: { cores: 2, load1: 0.5, usagePct },
  memory: { totalMb: 4096, availableMb: 1024, agentRssMb: 60 },
  disk: { totalMb: 100_000, usedMb: 10_000, freeMb: 90_000 },
  sites: Object.fromEntries(Object.entries(sites).map(([host, r]) => [host, { requestsPerSec: r, errorsPerSec: 0 }])),
});

async function makeSite(accountId: string, name: string) {
  const domain = await db.domain.create({ data: { accountId, name, displayName: name } });
  return db.site.create({ data: { accountId, domainId: domain.id } });
}

beforeAll(async () => {
  w = await makeWorld();
  const now = Date.now();
  const node = (name: string, address: string, data: object = {}) =>
    db.node.create({ data: { name, address, status: "HEALTHY", lastHeartbeatAt: new Date(now - 2_000), ...data }, select: { id: true } });
  const n1 = await node("map-1", "127.0.20.1", { metrics: heartbeat({ "shop.map.test": 38, "other.test": 2 }, 92) });
  const n2 = await node("map-2", "127.0.20.2", { metrics: heartbeat({}, 20) });
  // A dead node whose stored metrics no longer parse: no figures, never an error.
  const n3 = await node("map-3", "127.0.20.3", { status: "DEAD", lastHeartbeatAt: new Date(now - 600_000), metrics: { cpu: "bad" } });

  const { account } = await makeCustomer(w.resellerA.id);
  const shop = await makeSite(account.id, "shop.map.test");
  const blog = await makeSite(account.id, "blog.map.test");
  const moving = await makeSite(account.id, "moving.map.test");
  await makeSite(account.id, "unplaced.map.test");
  await db.site.update({ where: { id: blog.id }, data: { pinnedNodeId: n2.id } });
  await db.placement.createMany({
    data: [
      { siteId: shop.id, nodeId: n1.id, role: "PRIMARY", epoch: 3 },
      { siteId: shop.id, nodeId: n2.id, role: "REPLICA", epoch: 3 },
      { siteId: shop.id, nodeId: n3.id, role: "REPLICA", epoch: 2 },
      { siteId: blog.id, nodeId: n2.id, role: "PRIMARY", epoch: 1 },
      { siteId: moving.id, nodeId: n1.id, role: "PRIMARY", epoch: 1 },
      { siteId: moving.id, nodeId: n2.id, role: "REPLICA", epoch: 1 },
    ],
  });
  // shop: the live copy's newest snapshot is 5 s old, n2's 65 s (60 s behind), n3 holds none.
  await db.snapshot.createMany({
    data: [
      { siteId: shop.id, nodeId: n1.id, name: "s-old", takenAt: new Date(now - 120_000) },
      { siteId: shop.id, nodeId: n1.id, name: "s-new", takenAt: new Date(now - 5_000) },
      { siteId: shop.id, nodeId: n2.id, name: "s-rep", takenAt: new Date(now - 65_000) },
    ],
  });
  const op = await db.operation.create({
    data: {
      kind: "site.move",
      targetType: "Site",
      targetId: moving.id,
      status: "RUNNING",
      resellerId: w.resellerA.id,
      steps: {
        create: [
          { index: 0, kind: "pre-copy", target: "map-2", status: "SUCCEEDED" },
          { index: 1, kind: "pause", target: "map-1", status: "RUNNING" },
          { index: 2, kind: "final-delta", target: "map-2" },
        ],
      },
    },
    select: { id: true },
  });
  ids = { n1: n1.id, n2: n2.id, n3: n3.id, shop: shop.id, blog: blog.id, moving: moving.id, opId: op.id };
});

describe("getClusterMap", () => {
  it("shows nodes with health and load, sites on their live node with replicas, lag, moves, pauses and pins", async () => {
    const map = await callerFor(w.users.admin).cluster.getMap();
    expect(clusterMapOutput.parse(map)).toEqual(map);
    const nodes = Object.fromEntries(map.nodes.map((n) => [n.name, n]));
    expect(nodes["map-1"]).toMatchObject({
      id: ids.n1,
      status: "HEALTHY",
      load: { cpuPct: 92, load1: 0.5, cores: 2, memoryUsedMb: 3072, memoryTotalMb: 4096, requestsPerSec: 40 },
      liveSites: 2,
      replicaSites: 0,
    });
    expect(nodes["map-1"]!.heartbeatAgeSec).toBeGreaterThanOrEqual(2);
    // Heard 2 s ago, past the default suspect window (1.5 s): its HEALTHY is not shown as its health.
    expect(nodes["map-1"]!.silentSec).toBeGreaterThanOrEqual(2);
    // DEAD says so itself.
    expect(nodes["map-3"]!.silentSec).toBeNull();
    expect(nodes["map-2"]).toMatchObject({ liveSites: 1, replicaSites: 2 });
    expect(nodes["map-3"]).toMatchObject({ status: "DEAD", load: null, liveSites: 0, replicaSites: 1 });
    // Nodes are in name order (a stable layout for the page).
    expect(map.nodes.map((n) => n.name)).toEqual([...map.nodes.map((n) => n.name)].sort());

    const sites = Object.fromEntries(map.sites.map((s) => [s.name, s]));
    expect(sites["unplaced.map.test"]).toBeUndefined();
    expect(sites["shop.map.test"]).toMatchObject({
      id: ids.shop,
      status: "ACTIVE",
      liveNodeId: ids.n1,
      epoch: 3,
      pinnedNodeId: null,
      requestsPerSec: 38,
      paused: false,
      move: null,
      protected: true,
    });
    expect(sites["shop.map.test"]!.replicas).toEqual(
      expect.arrayContaining([
        { nodeId: ids.n2, lagSec: 60 },
        { nodeId: ids.n3, lagSec: null },
      ]),
    );
    expect(sites["shop.map.test"]!.newestSnapshotAgeSec).toBeGreaterThanOrEqual(5);
    expect(sites["blog.map.test"]).toMatchObject({ liveNodeId: ids.n2, pinnedNodeId: ids.n2, requestsPerSec: 0, replicas: [], protected: false, newestSnapshotAgeSec: null });
    expect(sites["moving.map.test"]).toMatchObject({
      liveNodeId: ids.n1,
      paused: true,
      move: { operationId: ids.opId, step: "pause", stepsDone: 1, stepsTotal: 3 },
      protected: false,
    });
    // Nothing raw reaches the browser: no metrics JSON, no placement or snapshot rows.
    const text = JSON.stringify(map);
    for (const leak of ["agentRssMb", "uptimeSec", "address", "backendPort", "s-new", "resellerId", "accountId"]) expect(text).not.toContain(leak);
  });

  it("is for platform admins only", async () => {
    for (const who of ["resellerA", "resellerB", "subA", "customerA", "customerB"] as const) {
      expect((await expectFailure(callerFor(w.users[who]).cluster.getMap())).code).toBe("FORBIDDEN");
    }
    expect((await expectFailure(callerFor(null).cluster.getMap())).code).toBe("UNAUTHORIZED");
    // The service refuses a non-admin scope by itself, whoever calls it.
    await expect(getClusterMap({ kind: "reseller", userId: w.users.resellerA.id, resellerId: w.resellerA.id, resellerIds: [w.resellerA.id] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(clusterViewerScope(authFor(w.users.customerA))).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(clusterViewerScope(null)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(clusterViewerScope(authFor(w.users.admin))).resolves.toMatchObject({ kind: "admin" });
  });
});

async function readEvent(body: ReadableStream<Uint8Array>, event: string): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before a ${event} event: ${buffer}`);
    buffer += decoder.decode(value, { stream: true });
    const match = buffer.split("\n\n").find((block) => block.startsWith(`event: ${event}\n`));
    if (match) {
      await reader.cancel();
      return match.slice(match.indexOf("data: ") + 6);
    }
  }
}

describe("cluster events (SSE)", () => {
  const url = "http://localhost:3000/api/admin/cluster/events";

  it("refuses anonymous callers (401), admins before 2FA set-up (412) and non-admins (403)", async () => {
    expect((await GET(new Request(url))).status).toBe(401);

    const admin = await makeLogin("ADMIN", w.platform.id);
    const adminJar = (await signIn(admin.email)).jar;
    expect(adminJar.size).toBeGreaterThan(0);
    expect((await GET(new Request(url, { headers: headersFor(adminJar) }))).status).toBe(412);

    const reseller = await makeLogin("RESELLER", w.resellerA.id);
    const customer = await makeLogin("CUSTOMER", w.resellerA.id, w.customers.a.customer.id);
    for (const login of [reseller, customer]) {
      // Signed in before 2FA was switched on, so no second factor is asked: the session is real.
      const { jar } = await signIn(login.email);
      await db.user.update({ where: { id: login.userId }, data: { twoFactorEnabled: true } });
      const res = await GET(new Request(url, { headers: headersFor(jar) }));
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/json");
    }
  });

  it("streams the map to a signed-in admin as text/event-stream", async () => {
    const admin = await makeLogin("ADMIN", w.platform.id);
    const { jar } = await signIn(admin.email);
    await db.user.update({ where: { id: admin.userId }, data: { twoFactorEnabled: true } });
    const abort = new AbortController();
    const res = await GET(new Request(url, { headers: headersFor(jar), signal: abort.signal }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const map = clusterMapOutput.parse(JSON.parse(await readEvent(res.body!, "map")));
    expect(map.sites.find((s) => s.id === ids.shop)).toMatchObject({ liveNodeId: ids.n1 });
    abort.abort();
  });

  it("sends a map only when it changed, then a keep-alive, and ends after its maximum duration", async () => {
    const scope = await clusterViewerScope(authFor(w.users.admin));
    let reads = 0;
    const fixed = { generatedAt: "", nodes: [], sites: [] };
    const stream = streamClusterMap(scope, {
      intervalMs: 5,
      keepAliveMs: 20,
      maxDurationMs: 200,
      readMap: async () => ({ ...fixed, generatedAt: new Date(Date.now() + reads++).toISOString() }),
    });
    const text = await new Response(stream).text();
    expect(text.startsWith("retry: 1000\n\n")).toBe(true);
    // Identical maps (only generatedAt differs) are sent once; keep-alives fill the silence.
    expect(text.match(/event: map\n/g)).toHaveLength(1);
    expect(text).toContain(": keep-alive\n\n");
    expect(reads).toBeGreaterThan(3);
  });
});
