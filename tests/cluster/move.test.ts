import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { runOpenLoop } from "../../bench/lib/open-loop";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster } from "./harness";
import { httpGet } from "../integration/agent/node-harness";
import { livePlacement, operationFailed, operationSucceeded, stepTime } from "./operations";

// A planned move of a WordPress site under a constant open-loop load of 200 requests/s through
// another node's edge: requests are held at the edges during the switch, never failed. And a move
// that aborts after the pause (the drain times out): the site stays on its source, nothing lost.

let cluster: Cluster;

beforeAll(async () => {
  // btrfs, as npm start runs it: the final delta and the target's start are snapshots, not copies.
  cluster = await startCluster({ nodes: 3, workers: 1, storage: "btrfs" });
});
afterAll(async () => {
  await cluster?.stop();
});

const finished = (operationId: string, timeoutMs = 120_000) => operationSucceeded(cluster, operationId, timeoutMs);

describe("planned moves", () => {
  it("moves a WordPress site to another node under 200 requests/s with no failed request", async () => {
    const world = cluster.world!;
    const asA = callerFor(world.users.customerA);
    const d = await asA.domain.create({ name: "moving-blog.test" });
    const site = await asA.site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
    await finished(site.operationId);
    const placements = await db.placement.findMany({ where: { siteId: site.id }, include: { node: true } });
    const live = placements.find((p) => p.role === "PRIMARY")!;
    expect(placements.filter((p) => p.role === "REPLICA")).toHaveLength(1);
    const liveNode = cluster.nodes.find((n) => n.name === live.node.name)!;
    // A static page in the site: the load measures the switch, not PHP on two cores.
    await writeFile(path.join(liveNode.root.siteDir(world.customers.a.account.username, site.id), "public", "hello.html"), "hello from the moving site\n");
    // The first snapshot reaches the replica on the cadence (the move then sends only a delta).
    const replica = placements.find((p) => p.role === "REPLICA")!;
    await cluster.waitFor("the first snapshot on the replica", async () => (await db.snapshot.count({ where: { siteId: site.id, nodeId: replica.nodeId } })) > 0, { timeoutMs: 60_000 });

    const target = cluster.nodes.find((n) => n.name !== live.node.name)!;
    const edge = cluster.nodes.find((n) => n.name !== live.node.name && n.name !== target.name) ?? target;
    const load = runOpenLoop({ target: { host: edge.address, port: 18080 }, hostHeader: "moving-blog.test", path: "/hello.html", ratePerSec: 200, durationMs: 20_000, timeoutMs: 10_000, retryStaleConnection: true });
    await new Promise((r) => setTimeout(r, 3_000));
    const admin = callerFor(world.users.admin);
    const targetId = (await db.node.findUniqueOrThrow({ where: { name: target.name } })).id;
    const move = await admin.site.move({ id: site.id, toNodeId: targetId });
    const op = await finished(move.operationId, 60_000);
    const result = await load;
    const s = result.summary;
    // A browser retries a GET whose reused keep-alive connection the server closed unseen (nginx's
    // old workers do when a reload pauses or releases the site): so does this client, and says so.
    const retried = result.records.filter((r) => r.retried).length;
    // The held requests: those scheduled from the pause to the release (a request scheduled just
    // before the pause may be held too). Their latency less the run's median is what the move
    // added; the target is 500 ms (bench/move-under-load.ts measures it, figures in
    // bench/README.md).
    const at = (kind: string, edgeOf: "startedAt" | "finishedAt") => op.steps.find((x) => x.kind === kind)![edgeOf]!.getTime();
    const heldFrom = at("pause", "startedAt");
    const heldTo = at("release", "finishedAt");
    const held = result.records.filter((r) => r.scheduledAt >= heldFrom - 50 && r.scheduledAt <= heldTo);
    const heldAdded = Math.max(0, ...held.map((r) => (r.latencyMs ?? 0) - s.p50));
    console.log(`held window ${heldTo - heldFrom} ms, ${held.length} requests in it, max added latency ${heldAdded.toFixed(0)} ms; steps: ${op.steps.map((st) => `${st.kind} ${stepTime(st)}`).join(", ")}`);
    console.log(`move under load: ${s.sent} sent, ${s.ok2xx} 2xx, ${s.non2xx} non-2xx, ${s.resets} resets, ${s.timeouts} timeouts, ${retried} retried on a fresh connection; p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; move took ${op.finishedAt!.getTime() - op.startedAt!.getTime()} ms`);
    const moveLog = (await cluster.logTail("worker", 1, 5000)).split("\n").filter((l) => l.includes(`move ${site.id}`));
    console.log(moveLog.join("\n"));
    const bad = result.records.filter((r) => r.error || (r.status !== undefined && (r.status < 200 || r.status >= 300)));
    if (bad.length) {
      const t0 = result.startedAt;
      const byStatus = new Map<string, number[]>();
      for (const r of bad) {
        const key = r.error ?? String(r.status);
        byStatus.set(key, [...(byStatus.get(key) ?? []), Math.round(r.scheduledAt - t0)]);
      }
      for (const [key, at] of byStatus) console.log(`  ${key}: ${at.length} between ${at[0]} and ${at[at.length - 1]} ms`);
      for (const st of op.steps) console.log(`  step ${st.kind}: ${st.startedAt!.getTime() - t0} → ${st.finishedAt!.getTime() - t0} ms`);
      const { readFile } = await import("node:fs/promises");
      for (const n of cluster.nodes) {
        for (const f of ["nginx-access.log", "edge-access.log", "nginx-error.log"]) {
          const text = await readFile(path.join(n.root.logDir, f), "utf8").catch(() => "");
          const lines = text.split("\n").filter((l) => / 50[0-9] /.test(l) || (f === "nginx-error.log" && l.length > 0));
          if (lines.length) console.log(`  ${n.name} ${f}: ${lines.length} lines, e.g.\n    ${lines.slice(0, 3).join("\n    ")}`);
        }
      }
    }
    expect(op.steps.map((x) => x.status)).toEqual(op.steps.map(() => "SUCCEEDED"));
    expect(s.non2xx).toBe(0);
    expect(s.resets).toBe(0);
    expect(s.timeouts).toBe(0);
    expect(s.errors).toBe(0);
    // 2x the 500 ms target: this 2-core machine is shared with other test runs, and the held
    // window is mostly a snapshot, a stream and a swap that a busy core slows down.
    expect(held.length).toBeGreaterThan(0);
    expect(heldAdded).toBeLessThanOrEqual(1000);

    const after = await db.placement.findMany({ where: { siteId: site.id }, include: { node: true } });
    expect(after.find((p) => p.role === "PRIMARY")).toMatchObject({ node: { name: target.name }, epoch: live.epoch + 1 });
    expect(after.find((p) => p.node.name === live.node.name)?.role).toBe("REPLICA");
    for (const n of cluster.nodes) {
      const res = await cluster.edgeGet(n.index, "moving-blog.test", "/hello.html");
      expect(res.status).toBe(200);
      expect(res.body).toBe("hello from the moving site\n");
    }
  });

  it("a move whose drain times out aborts after the pause: the site stays on its source, held requests are answered there, nothing is lost", async () => {
    const world = cluster.world!;
    const asA = callerFor(world.users.customerA);
    const host = "stuck-move.test";
    const d = await asA.domain.create({ name: host });
    const site = await asA.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await finished(site.operationId);
    const live = await livePlacement(site.id);
    const source = cluster.nodes.find((n) => n.name === live.node.name)!;
    const target = cluster.nodes.find((n) => n.name !== source.name)!;
    const edge = cluster.nodes.find((n) => n.name !== source.name && n.name !== target.name)!;
    const docroot = path.join(source.root.siteDir(world.customers.a.account.username, site.id), "public");
    await writeFile(path.join(docroot, "hello.html"), "hello from the stuck site\n");
    // A request that outlives the drain (10 s): the move cannot safely switch while it runs.
    await writeFile(path.join(docroot, "slow.php"), "<?php sleep(12); echo 'slow done';\n");

    const load = runOpenLoop({ target: { host: edge.address, port: 18080 }, hostHeader: host, path: "/hello.html", ratePerSec: 50, durationMs: 25_000, timeoutMs: 30_000, retryStaleConnection: true });
    const admin = callerFor(world.users.admin);
    const targetId = (await db.node.findUniqueOrThrow({ where: { name: target.name } })).id;
    const move = await admin.site.move({ id: site.id, toNodeId: targetId });
    const step = (kind: string) => db.operationStep.findFirst({ where: { operationId: move.operationId, kind } });
    // Slow requests from the start of the move until its pause: those sent once the site's route
    // goes through the hold services are what the drain waits for.
    const slow: Promise<{ status: number; body: string }>[] = [];
    while (slow.length < 12 && (await step("pause"))?.status !== "SUCCEEDED") {
      slow.push(httpGet(edge.root, host, "/slow.php", { timeoutMs: 90_000 }));
      await new Promise((r) => setTimeout(r, 250));
    }
    // Written on the source while the site is paused: an abort must not lose it.
    await writeFile(path.join(docroot, "during.txt"), "written during the held window\n");

    const op = await operationFailed(cluster, move.operationId, 90_000);
    const result = await load;
    const slowAnswers = await Promise.all(slow);
    const steps = Object.fromEntries(op.steps.map((st) => [st.kind, st.status]));
    console.log(`aborted move: ${op.lastError}; steps ${op.steps.map((st) => `${st.kind} ${st.status}`).join(", ")}; load ${result.summary.sent} sent, ${result.summary.ok2xx} 2xx, max ${result.summary.max.toFixed(0)} ms; ${slowAnswers.length} slow requests`);
    expect(op.lastError).toMatch(new RegExp(`^Move aborted, the site stays on ${source.name}: Requests were still running on ${source.name} after 10000 ms`));
    expect(steps).toMatchObject({ "pre-copy": "SUCCEEDED", pause: "SUCCEEDED", drain: "FAILED" });
    expect(op.steps.filter((st) => st.index > op.steps.find((x) => x.kind === "drain")!.index && st.status === "SUCCEEDED")).toEqual([]);

    // Still live on the source, same epoch, unpaused; the target is back to a replica.
    const after = await db.placement.findMany({ where: { siteId: site.id }, include: { node: true } });
    expect(after.find((p) => p.role === "PRIMARY")).toMatchObject({ node: { name: source.name }, epoch: live.epoch });
    expect(after.find((p) => p.node.name === target.name)?.role).toBe("REPLICA");
    expect((await db.site.findUniqueOrThrow({ where: { id: site.id } })).paused).toBe(false);
    // Every request was answered: those held during the pause by the source after the abort.
    expect(result.summary.non2xx).toBe(0);
    expect(result.summary.resets).toBe(0);
    expect(result.summary.timeouts).toBe(0);
    expect(result.summary.errors).toBe(0);
    expect(slowAnswers.length).toBeGreaterThan(0);
    for (const answer of slowAnswers) expect(answer).toMatchObject({ status: 200, body: "slow done" });
    for (const n of cluster.nodes) {
      expect(await cluster.edgeGet(n.index, host, "/during.txt")).toMatchObject({ status: 200, body: "written during the held window\n" });
    }

    // Nothing is left stuck: the same move, with nothing running long, goes through.
    const again = await admin.site.move({ id: site.id, toNodeId: targetId });
    await finished(again.operationId, 60_000);
    expect(await livePlacement(site.id)).toMatchObject({ node: { name: target.name }, epoch: live.epoch + 1 });
    for (const n of cluster.nodes) expect(await cluster.edgeGet(n.index, host, "/during.txt")).toMatchObject({ status: 200, body: "written during the held window\n" });
  });
});
