import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentClient } from "../../../worker/control/agent-client";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { ensureLoopStore, releaseLoopStore } from "../../../worker/agent/storage/loop-store";
import { siteStorage, type SiteStorage } from "../../../worker/agent/storage/site-storage";
import type { SiteUsage } from "../../../worker/agent/storage/usage";
import { waitFor } from "../../../worker/agent/wait-for";

// The agent's usage report on each driver, on real file systems: btrfs on a loop image (quota
// groups), the directory driver on /var/tmp (du-like walks). A file of known size that changes
// after a snapshot leaves that many bytes in the snapshot alone; deleting the snapshot frees them.
// The report is read through the agent's HTTP API, with the control plane's client.

const MiB = 1024 ** 2;
const size = 4 * MiB;
// Metadata (tree blocks, directory blocks, the dump directory's stamp) on top of the data.
const slack = 512 * 1024;
const clusterSecret = "usage-test-cluster-secret-0123456789abcdef";

describe.each([
  { storage: "btrfs" as const, address: "127.0.25.21", port: 17521 },
  { storage: "dir" as const, address: "127.0.25.22", port: 17522 },
])("usage report on the $storage driver", ({ storage: kind, address, port }) => {
  let base: string;
  let node: NodeRoot;
  let storage: SiteStorage;
  let agent: AgentServer;
  const username = `usage${kind}`;
  const siteId = "usagesite1";
  const other = "usagesite2";
  let liveDir: string;

  const client = () => agentClient({ name: `usage-${kind}`, address, agentPort: agent.port }, { clusterSecret });
  /** The report once its numbers are settled (btrfs: after a commit, and any rescan has ended). */
  async function report(): Promise<Map<string, SiteUsage>> {
    // Assigned inside the callback, so TypeScript cannot narrow it: read it through a typed box.
    const box: { last?: Awaited<ReturnType<ReturnType<typeof client>["usage"]>> } = {};
    await waitFor(
      "a consistent usage report",
      async () => {
        if (kind === "btrfs") await runCommand("/usr/bin/btrfs", ["filesystem", "sync", node.storeDir]);
        box.last = await client().usage();
        return box.last.consistent;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return new Map(box.last!.sites.map((s: SiteUsage) => [s.siteId, s]));
  }
  const near = (value: number | null | undefined, expected: number) => {
    expect(value).not.toBeNull();
    expect(value!).toBeGreaterThanOrEqual(expected - 64 * 1024);
    expect(value!).toBeLessThanOrEqual(expected + slack);
  };

  beforeAll(async () => {
    base = await mkdtemp(`/var/tmp/shoal-usage-${kind}-`);
    await chmod(base, 0o755);
    const root = path.join(base, "node");
    await mkdir(root);
    node = nodeRoot({ root, address, httpPort: port + 1, mysqlPort: port + 2, storage: kind });
    if (kind === "btrfs") await ensureLoopStore(node, { sizeBytes: 512 * MiB });
    await ensureNodeLayout(node);
    await mkdir(path.dirname(node.siteVolumeDir(username, siteId)), { recursive: true });
    storage = siteStorage(node);
    await storage.ensureSiteVolume({ username, siteId });
    await storage.ensureSiteVolume({ username, siteId: other });
    liveDir = node.siteDir(username, siteId);
    agent = await startAgentServer({ host: address, port, secret: agentSecret(clusterSecret, `usage-${kind}`), nodeRoot: node, tls: await testNodeTls(node) });
  });

  afterAll(async () => {
    await agent?.close();
    if (kind === "btrfs" && node) await releaseLoopStore(node);
    if (base) await rm(base, { recursive: true, force: true });
  }, 60_000);

  it("counts a site's live files, and a snapshot's exclusive bytes until it is deleted", async () => {
    await writeFile(path.join(liveDir, "big.bin"), randomBytes(size));
    await writeFile(path.join(node.siteDir(username, other), "small.bin"), randomBytes(MiB));
    let sites = await report();
    near(sites.get(siteId)?.filesBytes, size);
    expect(sites.get(siteId)?.snapshotBytes).toBeLessThan(slack);
    near(sites.get(other)?.filesBytes, MiB);

    const first = await storage.createSnapshot(siteId, "s-20261202T160000Z");
    sites = await report();
    expect(sites.get(siteId)?.snapshots).toBe(1);
    // The stamp written beside the files before the snapshot counts as a dump, not as files.
    expect(sites.get(siteId)?.dumpBytes).toBeGreaterThan(0);
    if (kind === "btrfs") expect(sites.get(siteId)?.snapshotBytes).toBeLessThan(slack); // shares every extent with the live site
    else near(sites.get(siteId)?.snapshotBytes, size); // a copy (hard links only between snapshots)

    // The file changes after the snapshot: its old bytes are now the snapshot's alone.
    await writeFile(path.join(liveDir, "big.bin"), randomBytes(size));
    sites = await report();
    near(sites.get(siteId)?.filesBytes, size);
    near(sites.get(siteId)?.snapshotBytes, size);
    // Another site's snapshots never count for this one, nor this one's for it.
    expect(sites.get(other)?.snapshotBytes).toBeLessThan(slack);

    // A second snapshot of the changed file: the old version is still held by the first alone;
    // on btrfs the second shares the new one with the live site, the directory driver copies it.
    await storage.createSnapshot(siteId, "s-20261202T160100Z");
    sites = await report();
    near(sites.get(siteId)?.snapshotBytes, kind === "btrfs" ? size : 2 * size);

    await storage.deleteSnapshot(siteId, first.name);
    if (kind === "btrfs") await runCommand("/usr/bin/btrfs", ["subvolume", "sync", node.storeDir], { timeoutMs: 60_000 });
    sites = await report();
    expect(sites.get(siteId)?.snapshots).toBe(1);
    if (kind === "btrfs") expect(sites.get(siteId)?.snapshotBytes).toBeLessThan(slack);
    else near(sites.get(siteId)?.snapshotBytes, size); // the remaining snapshot is a copy of the current file
    await storage.deleteSnapshot(siteId, "s-20261202T160100Z");
    if (kind === "btrfs") await runCommand("/usr/bin/btrfs", ["subvolume", "sync", node.storeDir], { timeoutMs: 60_000 });
    sites = await report();
    expect(sites.get(siteId)?.snapshotBytes).toBeLessThan(slack);
    near(sites.get(siteId)?.filesBytes, size);
  });

  it("counts a file hard-linked inside the site once", async () => {
    const { link } = await import("node:fs/promises");
    await link(path.join(liveDir, "big.bin"), path.join(liveDir, "big-again.bin"));
    const sites = await report();
    near(sites.get(siteId)?.filesBytes, size);
  });
});
