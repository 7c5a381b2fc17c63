import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { protectedLagSec } from "../../../server/services/cluster/get-cluster-map";
import { callerFor, makeCustomer, makeWorld } from "../../helpers/fixtures";

// The cluster map's "protected" badge: a site is protected when a HEALTHY node holds a replica
// snapshot at most protectedLagSec (5 min) behind the live node's newest; lag per replica is the
// difference of their newest snapshots (Snapshot.nodeId + takenAt).

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
const sites: Record<string, string> = {};

beforeAll(async () => {
  w = await makeWorld();
  const now = Date.now();
  const tag = Math.random().toString(36).slice(2, 8);
  const node = (name: string, status: "HEALTHY" | "DEAD") => db.node.create({ data: { name: `${name}-${tag}`, address: "127.0.21.1", status, lastHeartbeatAt: new Date(now) }, select: { id: true } });
  const [live, fresh, stale, dead] = [await node("pl", "HEALTHY"), await node("pf", "HEALTHY"), await node("ps", "HEALTHY"), await node("pd", "DEAD")];
  const { account } = await makeCustomer(w.resellerA.id);
  // name → replicas: [node, seconds behind the live copy]
  const layout: Record<string, [{ id: string }, number][]> = {
    "fresh.protect.test": [[fresh, 60]],
    "edge.protect.test": [[fresh, protectedLagSec]],
    "stale.protect.test": [[stale, protectedLagSec + 60]],
    "dead.protect.test": [[dead, 0]],
    "mixed.protect.test": [[stale, 3_600], [fresh, 10]],
  };
  for (const [name, replicas] of Object.entries(layout)) {
    const domain = await db.domain.create({ data: { accountId: account.id, name, displayName: name } });
    const site = await db.site.create({ data: { accountId: account.id, domainId: domain.id }, select: { id: true } });
    sites[name] = site.id;
    await db.placement.create({ data: { siteId: site.id, nodeId: live.id, role: "PRIMARY" } });
    await db.snapshot.create({ data: { siteId: site.id, nodeId: live.id, name: "s-live", takenAt: new Date(now - 1_000) } });
    for (const [n, behind] of replicas) {
      await db.placement.create({ data: { siteId: site.id, nodeId: n.id, role: "REPLICA" } });
      await db.snapshot.create({ data: { siteId: site.id, nodeId: n.id, name: "s-rep", takenAt: new Date(now - 1_000 - behind * 1000) } });
    }
  }
});

describe("replica lag and protection on the cluster map", () => {
  it("shows each replica's lag and counts a site protected only with a healthy replica at most 5 minutes behind", async () => {
    const map = await callerFor(w.users.admin).cluster.getMap();
    const byName = Object.fromEntries(map.sites.map((s) => [s.name, s]));
    expect(byName["fresh.protect.test"]).toMatchObject({ protected: true, replicas: [{ lagSec: 60 }] });
    expect(byName["edge.protect.test"]).toMatchObject({ protected: true, replicas: [{ lagSec: protectedLagSec }] });
    expect(byName["stale.protect.test"]).toMatchObject({ protected: false, replicas: [{ lagSec: protectedLagSec + 60 }] });
    expect(byName["dead.protect.test"]).toMatchObject({ protected: false, replicas: [{ lagSec: 0 }] });
    expect(byName["mixed.protect.test"]!.protected).toBe(true);
    expect(byName["mixed.protect.test"]!.replicas.map((r) => r.lagSec).sort((a, b) => a! - b!)).toEqual([10, 3_600]);
  });
});
