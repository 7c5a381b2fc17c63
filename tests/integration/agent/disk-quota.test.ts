import { execFile } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import type { AccountUsage } from "../../../server/contract/node-usage";
import { cgroupLayout, ensureAccountCgroup, nodeGroupName, removeAccountCgroup } from "../../../worker/agent/drivers/cgroup";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { testNodeTls } from "../../helpers/cluster-tls";
import { ensureAccountQuota, ensureAccountQuotas, removeAccountQuota } from "../../../worker/agent/storage/account-quota";
import { accountGroupId, readQgroups } from "../../../worker/agent/storage/btrfs-quota";
import { ensureLoopStore, releaseLoopStore } from "../../../worker/agent/storage/loop-store";
import { siteStorage, type SiteStorage } from "../../../worker/agent/storage/site-storage";
import { measureUsage } from "../../../worker/agent/storage/usage";
import { waitFor } from "../../../worker/agent/wait-for";
import { agentClient } from "../../../worker/control/agent-client";

// Disk limits per hosting account. btrfs, on a loop image: the kernel refuses the account's own
// writes past its limit (EDQUOT), another account on the node writes on, the limited account's
// snapshots are still taken, its snapshots' space counts, and the limit goes up and down. The
// directory driver cannot refuse a write: its usage walk marks the account at its limit.

const MiB = 1024 ** 2;
const clusterSecret = "disk-quota-test-cluster-secret-0123456789abcdef";

/** Writes `mib` MiB of zeros to `file` as uid/gid `uid` (the account's own user, not root). */
function writeAs(uid: number, file: string, mib: number): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/usr/bin/dd", ["if=/dev/zero", `of=${file}`, "bs=1M", `count=${mib}`], { uid, gid: uid }, (error, _stdout, stderr) => resolve({ ok: !error, stderr: String(stderr) }));
  });
}

async function makeSite(node: NodeRoot, storage: SiteStorage, username: string, siteId: string, uid: number): Promise<string> {
  await mkdir(path.dirname(node.siteVolumeDir(username, siteId)), { recursive: true });
  await storage.ensureSiteVolume({ username, siteId });
  const dir = node.siteDir(username, siteId);
  await chown(dir, uid, uid);
  return dir;
}

describe("disk quota on btrfs", () => {
  const address = "127.0.8.31";
  const port = 17831;
  let base: string;
  let node: NodeRoot;
  let storage: SiteStorage;
  let agent: AgentServer;
  const a = { username: "dqalpha", uid: 64101, siteId: "dqsitea1" };
  const b = { username: "dqbeta", uid: 64102, siteId: "dqsiteb1" };
  let dirA: string;
  let dirB: string;

  const sync = () => runCommand("/usr/bin/btrfs", ["filesystem", "sync", node.storeDir]);
  /** The report's entry for each account, once btrfs's numbers are settled; read through the agent's API. */
  async function accounts(): Promise<Map<string, AccountUsage>> {
    const box: { accounts?: AccountUsage[] } = {};
    await waitFor(
      "a consistent usage report",
      async () => {
        await sync();
        const report = await agentClient({ name: "disk-quota", address, agentPort: agent.port }, { clusterSecret }).usage();
        box.accounts = report.accounts;
        return report.consistent;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return new Map(box.accounts!.map((x) => [x.username, x]));
  }
  const limitOf = async (username: string) => (await readQgroups(node.storeDir))?.rows.get(accountGroupId(username))?.maxRfer;

  beforeAll(async () => {
    base = await mkdtemp("/var/tmp/shoal-disk-quota-");
    await chmod(base, 0o755);
    const root = path.join(base, "node");
    await mkdir(root);
    node = nodeRoot({ root, address, httpPort: port + 1, mysqlPort: port + 2, storage: "btrfs" });
    await ensureLoopStore(node, { sizeBytes: 512 * MiB });
    await ensureNodeLayout(node);
    storage = siteStorage(node);
    dirA = await makeSite(node, storage, a.username, a.siteId, a.uid);
    dirB = await makeSite(node, storage, b.username, b.siteId, b.uid);
    agent = await startAgentServer({ host: address, port, secret: agentSecret(clusterSecret, "disk-quota"), nodeRoot: node, tls: await testNodeTls(node) });
  }, 60_000);

  afterAll(async () => {
    await agent?.close();
    if (node) {
      await removeAccountCgroup(node, a.username);
      const layout = await cgroupLayout();
      for (const mount of [layout.unified, ...Object.values(layout.v1)]) await rmdir(path.join(mount, nodeGroupName(node))).catch(() => undefined);
    }
    if (node) await releaseLoopStore(node);
    if (base) await rm(base, { recursive: true, force: true });
  }, 60_000);

  it("refuses the account's writes past its limit, and only its own", async () => {
    await ensureAccountQuota(node, a.username, 16, [a.siteId]);
    await ensureAccountQuota(node, b.username, 64, [b.siteId]);
    // Twice: an unchanged limit changes nothing.
    await ensureAccountQuota(node, a.username, 16, [a.siteId]);
    expect(await limitOf(a.username)).toBe(16 * MiB);

    const over = await writeAs(a.uid, path.join(dirA, "fill.bin"), 32);
    expect(over.ok).toBe(false);
    expect(over.stderr).toMatch(/Disk quota exceeded/);
    const more = await writeAs(a.uid, path.join(dirA, "more.bin"), 1);
    expect(more.ok).toBe(false);
    expect(more.stderr).toMatch(/Disk quota exceeded/);

    const other = await writeAs(b.uid, path.join(dirB, "fine.bin"), 8);
    expect(other).toEqual({ ok: true, stderr: expect.any(String) });

    const report = await accounts();
    const alpha = report.get(a.username)!;
    expect(alpha.diskLimitBytes).toBe(16 * MiB);
    expect(alpha.diskBytes!).toBeGreaterThan(15 * MiB);
    expect(alpha.atDiskLimit).toBe(true);
    const beta = report.get(b.username)!;
    expect(beta.diskLimitBytes).toBe(64 * MiB);
    expect(beta.diskBytes!).toBeGreaterThanOrEqual(8 * MiB);
    expect(beta.atDiskLimit).toBe(false);
  });

  it("reports the account's cgroup counters beside its disk", async () => {
    await ensureAccountCgroup(node, a.username, { cpuPercent: 50, memoryMb: 128, pids: 64, ioWeight: 100, diskMb: 16 });
    const alpha = (await accounts()).get(a.username)!;
    expect(alpha).toMatchObject({ memoryLimitBytes: 128 * MiB, pidsLimit: 64, oomKills: 0, pidsLimitHits: 0, atDiskLimit: true });
    expect(alpha.memoryBytes).not.toBeNull();
    expect(alpha.cpuUsageUsec).not.toBeNull();
    // An account with no cgroup on the node: no numbers, no limits, nothing hit.
    expect((await accounts()).get(b.username)).toMatchObject({ memoryBytes: null, memoryLimitBytes: null, pidsLimit: null, oomKills: 0, cpuThrottledPeriods: 0 });
  });

  it("still snapshots an account at its limit, and puts the limit back after", async () => {
    const made = await storage.createSnapshot(a.siteId, "s-20261207T070000Z");
    expect(made.name).toBe("s-20261207T070000Z");
    expect(await limitOf(a.username)).toBe(16 * MiB);
    const still = await writeAs(a.uid, path.join(dirA, "after-snapshot.bin"), 1);
    expect(still.ok).toBe(false);
  });

  it("counts snapshot space: deleting live files frees nothing the snapshot holds", async () => {
    await ensureAccountQuota(node, a.username, 24, [a.siteId]);
    await unlink(path.join(dirA, "fill.bin"));
    await sync();
    // The snapshot still holds fill.bin's 16 MiB: 8 MiB more would pass 24 MiB.
    const blocked = await writeAs(a.uid, path.join(dirA, "again.bin"), 12);
    expect(blocked.ok).toBe(false);
    await unlink(path.join(dirA, "again.bin")).catch(() => undefined);
    await storage.deleteSnapshot(a.siteId, "s-20261207T070000Z");
    await runCommand("/usr/bin/btrfs", ["subvolume", "sync", node.storeDir], { timeoutMs: 60_000 });
    await waitFor("the snapshot's space to be freed", async () => ((await accounts()).get(a.username)?.diskBytes ?? Infinity) < 4 * MiB, { timeoutMs: 30_000, intervalMs: 200 });
    const freed = await writeAs(a.uid, path.join(dirA, "again.bin"), 12);
    expect(freed.ok).toBe(true);
  });

  it("raises and lowers the limit", async () => {
    await ensureAccountQuota(node, a.username, 64, [a.siteId]);
    expect(await limitOf(a.username)).toBe(64 * MiB);
    expect((await writeAs(a.uid, path.join(dirA, "raised.bin"), 32)).ok).toBe(true);
    expect((await accounts()).get(a.username)?.atDiskLimit).toBe(false);

    // Lowered below what the account holds: nothing is deleted, new writes fail.
    await ensureAccountQuota(node, a.username, 20, [a.siteId]);
    expect(await limitOf(a.username)).toBe(20 * MiB);
    const refused = await writeAs(a.uid, path.join(dirA, "lowered.bin"), 1);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/Disk quota exceeded/);
    const report = await accounts();
    expect(report.get(a.username)?.atDiskLimit).toBe(true);
    expect(report.get(a.username)?.diskLimitBytes).toBe(20 * MiB);
    expect(report.get(b.username)?.atDiskLimit).toBe(false);
  });

  it("sets several accounts' limits in one pass: new sites need no rescan, a volume sharing extents outside its group gets one", async () => {
    const c = { username: "dqcharlie", uid: 64104, siteId: "dqsitec1" };
    const d = { username: "dqdelta", uid: 64105, siteId: "dqsited1" };
    const dirC = await makeSite(node, storage, c.username, c.siteId, c.uid);
    const dirD = await makeSite(node, storage, d.username, d.siteId, d.uid);
    expect((await writeAs(c.uid, path.join(dirC, "data.bin"), 2)).ok).toBe(true);
    expect((await writeAs(d.uid, path.join(dirD, "data.bin"), 2)).ok).toBe(true);
    await sync();
    expect(await ensureAccountQuotas(node, [{ username: c.username, diskMb: 8, siteIds: [c.siteId] }, { username: d.username, diskMb: 8, siteIds: [d.siteId] }])).toEqual([null, null]);
    // Volumes made in their site's group hold only their own bytes: the kernel carries them into
    // the account's group at once, consistent, with no rescan to wait for.
    await sync();
    const groups = (await readQgroups(node.storeDir))!;
    expect(groups.inconsistent).toBe(false);
    for (const x of [c, d]) {
      expect(groups.rows.get(accountGroupId(x.username))).toMatchObject({ maxRfer: 8 * MiB });
      expect(groups.rows.get(accountGroupId(x.username))!.rfer).toBeGreaterThanOrEqual(2 * MiB);
    }
    const over = await writeAs(c.uid, path.join(dirC, "over.bin"), 16);
    expect(over.ok).toBe(false);
    expect(over.stderr).toMatch(/Disk quota exceeded/);

    // A snapshot made outside the site's group (as before quotas were on) shares all its extents
    // with the live volume: joining the group leaves the numbers inconsistent, so a rescan starts
    // and the numbers settle.
    await mkdir(path.join(node.snapshotsDir, d.siteId), { recursive: true });
    await runCommand("/usr/bin/btrfs", ["subvolume", "snapshot", "-r", path.dirname(dirD), path.join(node.snapshotsDir, d.siteId, "s-20261207T080000Z")]);
    await sync();
    expect(await ensureAccountQuotas(node, [{ username: d.username, diskMb: 8, siteIds: [d.siteId] }])).toEqual([null]);
    await waitFor("the rescan to settle the numbers", async () => {
      await sync();
      return (await readQgroups(node.storeDir))?.inconsistent === false;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect((await readQgroups(node.storeDir))!.rows.get(accountGroupId(d.username))!.rfer).toBeGreaterThanOrEqual(2 * MiB);
    for (const x of [c, d]) await removeAccountQuota(node, x.username);
  });

  it("drops the account's group when the account goes", async () => {
    await removeAccountQuota(node, a.username);
    expect((await readQgroups(node.storeDir))?.rows.has(accountGroupId(a.username))).toBe(false);
    expect((await writeAs(a.uid, path.join(dirA, "unlimited.bin"), 8)).ok).toBe(true);
    await removeAccountQuota(node, a.username);
  });
});

describe("disk limit on the directory driver", () => {
  let base: string;
  let node: NodeRoot;

  beforeAll(async () => {
    base = await mkdtemp("/var/tmp/shoal-disk-quota-dir-");
    await chmod(base, 0o755);
    const root = path.join(base, "node");
    await mkdir(root);
    node = nodeRoot({ root, address: "127.0.8.32", httpPort: 17841, mysqlPort: 17842, storage: "dir" });
    await ensureNodeLayout(node);
  });

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("cannot refuse the write, and marks the account over its limit", async () => {
    const storage = siteStorage(node);
    const dir = await makeSite(node, storage, "dqgamma", "dqsiteg1", 64103);
    await ensureAccountQuota(node, "dqgamma", 4, ["dqsiteg1"]);
    let gamma = (await measureUsage(node)).accounts.find((x) => x.username === "dqgamma")!;
    expect(gamma).toMatchObject({ diskLimitBytes: 4 * MiB, atDiskLimit: false });
    expect((await writeAs(64103, path.join(dir, "big.bin"), 6)).ok).toBe(true);
    gamma = (await measureUsage(node)).accounts.find((x) => x.username === "dqgamma")!;
    expect(gamma.diskBytes!).toBeGreaterThanOrEqual(6 * MiB);
    expect(gamma.atDiskLimit).toBe(true);
    // Raised past what it holds: no longer at the limit.
    await ensureAccountQuota(node, "dqgamma", 16, ["dqsiteg1"]);
    gamma = (await measureUsage(node)).accounts.find((x) => x.username === "dqgamma")!;
    expect(gamma).toMatchObject({ diskLimitBytes: 16 * MiB, atDiskLimit: false });
  });
});
