import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { QUEUES } from "../../server/jobs/queues";
import { SCHEDULES } from "../../server/jobs/schedules";
import { callerFor } from "../helpers/fixtures";
import { startThrowawayRedis, type ThrowawayRedis } from "../helpers/throwaway-redis";
import { startCluster, type Cluster } from "./harness";
import { failoverSucceeded, livePlacement, operationSucceeded } from "./operations";

// Issue 13's test of schedules that cannot vanish, on a real 3-node cluster whose control worker
// uses a Redis of this file's own (a redis-server without persistence on a free loopback port;
// the shared Redis is never touched). Redis is emptied (FLUSHALL, as a restart without persistence
// leaves it): the worker's keeper puts the schedules back and the heartbeat resumes (the test
// prints the time to heal). Then the site's live node is killed: it is detected and failed over,
// which nothing would have done before, since the heartbeat's schedule was gone with Redis.

let cluster: Cluster;
let throwaway: ThrowawayRedis | undefined;
let redis: Redis;
const host = "wipe-failover.test";

beforeAll(async () => {
  throwaway = await startThrowawayRedis();
  redis = new Redis(throwaway.url, { maxRetriesPerRequest: 1 });
  redis.on("error", () => undefined);
  cluster = await startCluster({ nodes: 3, workers: 1, workerEnv: { REDIS_URL: throwaway.url, SHOAL_HOLD_DOWN_MS: "4000", SHOAL_SNAPSHOT_TICK_MS: "1000" } });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  redis?.disconnect();
  await throwaway?.stop();
}, 120_000);

describe("Redis restarted empty, then a node killed", () => {
  it("the schedules come back, heartbeats resume, and the killed node's site is failed over", { timeout: 240_000 }, async () => {
    const world = cluster.world!;
    await db.plan.update({ where: { id: world.customers.a.plan.id }, data: { snapshotCadenceSec: 1 } });
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await operationSucceeded(cluster, site.operationId);
    const live = await livePlacement(site.id);
    const replica = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "REPLICA" }, include: { node: true } });
    await cluster.waitFor("a snapshot on the replica", async () => (await db.snapshot.count({ where: { siteId: site.id, nodeId: replica.nodeId } })) > 0, { timeoutMs: 60_000 });

    const heartbeatQueue = new Queue(QUEUES.heartbeat, { connection: redis, prefix: cluster.queuePrefix });
    const wipedAt = Date.now();
    await redis.flushall();
    let schedulesMs = -1;
    const heard = await cluster.waitFor("the schedules and a heartbeat after the wipe", async () => {
      if (schedulesMs < 0 && (await heartbeatQueue.getJobScheduler(SCHEDULES.heartbeat.id))) schedulesMs = Date.now() - wipedAt;
      const nodes = await db.node.findMany({ select: { lastHeartbeatAt: true } });
      return schedulesMs >= 0 && nodes.every((n) => n.lastHeartbeatAt && n.lastHeartbeatAt.getTime() > wipedAt) ? Date.now() - wipedAt : undefined;
    }, { timeoutMs: 20_000, intervalMs: 20 });
    await heartbeatQueue.close();
    console.log(`time to heal from an emptied Redis (3 nodes): schedules back after ${schedulesMs} ms, every node heard again after ${heard} ms`);
    expect(heard).toBeLessThan(10_000);
    // The worker's log says what it did (its lines reach the file a moment later).
    await cluster.waitFor("the worker's log to say the schedules were re-created", async () => /schedules missing or stalled in Redis, re-created/.test(await cluster.logTail("worker", 1, 2_000)));

    const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;
    const killedAt = await cluster.signalNode(liveNode.index, "SIGKILL");
    const after = await cluster.waitFor("the site to be failed over", async () => {
      const p = await livePlacement(site.id);
      return p.node.name !== live.node.name ? p : undefined;
    }, { timeoutMs: 60_000 });
    console.log(`after the wipe, node ${live.node.name} killed: site failed over to ${after.node.name} in ${Date.now() - killedAt} ms`);
    expect(after.node.name).toBe(replica.node.name);
    expect((await db.node.findUniqueOrThrow({ where: { name: live.node.name } })).status).toBe("DEAD");
    await failoverSucceeded(cluster, site.id);
  });
});
