import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { asUser } from "../../worker/agent/drivers/account-runtime";
import { lookupSystemUser } from "../../worker/agent/system-users";
import { clusterPorts, startCluster, type Cluster, type ClusterNode } from "../cluster/harness";
import { putSiteFile } from "../helpers/customer-code";
import { httpGet, uniqueUsername } from "../integration/agent/node-harness";
import { attempt, publishTable } from "./escape-table";

// Root never follows a customer's path. While the platform's root-run work walks Alice's tree
// (snapshots, browsing a snapshot, single-file restores, rollbacks), her own code keeps swapping
// the paths that work touches between real directories and files and symlinks to a canary: a
// root-only directory outside her tree, and a file she may not read. Each operation runs many
// times against the race; after all of them the canary must be exactly as it was (not read into
// an answer, not written, not chowned), and nothing in her tree may have become root's.

let cluster: Cluster;
let n1: ClusterNode;
const alice = uniqueUsername("sr");
const siteId = "racesite1";
const host = "race.sec.test";
let canaryDir: string;
const canaryText = `canary-${Date.now()}`;

type Fingerprint = Record<string, string>;

/** Every entry of the canary directory: its type, owner, mode, and content hash. */
async function fingerprint(dir: string): Promise<Fingerprint> {
  const out: Fingerprint = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const s = await stat(file);
    const hash = s.isFile() ? createHash("sha256").update(await readFile(file)).digest("hex") : "-";
    out[name] = `${s.isDirectory() ? "d" : "f"} ${s.uid}:${s.gid} ${(s.mode & 0o7777).toString(8)} ${hash}`;
  }
  return out;
}

async function agent<T>(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: T; text: string }> {
  const res = await cluster.agentFetch(n1, urlPath, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json = null as T;
  try {
    json = JSON.parse(text) as T;
  } catch {
    // A file's bytes.
  }
  return { status: res.status, json, text };
}

let seq = 0;
/** A fresh snapshot name: one per call, a second apart in a fixed past, so none collide. */
const name = (kind = "s") => {
  const t = new Date(Date.UTC(2030, 0, 1) + ++seq * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${kind}-${t}`;
};

/**
 * Alice's racer: a shell loop as her user, confined as her processes are, that swaps
 * public/race/d between a directory and a symlink to the canary directory, and public/race/f.txt
 * between a file and a symlink to the canary file, as fast as it can, until `stop()`.
 */
async function startRacer(): Promise<{ stop: () => Promise<number>; output: () => string }> {
  const user = (await lookupSystemUser(alice))!;
  const race = path.join(n1.root.siteDir(alice, siteId), "public", "race");
  // Checks an absolute stop file and enters the directory each round: a rollback replaces the
  // whole tree under it.
  const script = `n=0
while [ ! -e ${race}/stop ]; do
  cd ${race} 2>/dev/null || { sleep 0.05; continue; }
  mkdir -p real.tmp && echo mine > real.tmp/f.txt
  rm -f d 2>/dev/null; mv -T real.tmp d 2>/dev/null
  ln -sfn ${canaryDir} d.tmp && rm -rf d && mv -T d.tmp d
  echo mine > f.tmp && mv -T f.tmp f.txt
  ln -sfn ${canaryDir}/secret.txt f.tmp && mv -T f.tmp f.txt
  n=$((n+1))
done
echo swaps=$n`;
  // As her user but outside her cgroup: in it, the agent's sweeper would (rightly) kill a
  // process that is not a request's, and the race is about who owns the paths, not the group.
  const [file, ...args] = asUser(user, ["/bin/sh", "-c", script]);
  const child = spawn(file!, args, { cwd: "/", env: { PATH: "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    output: () => out,
    stop: async () => {
      await writeFile(path.join(race, "stop"), "");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await closed;
      clearTimeout(timer);
      await rm(path.join(race, "stop"), { force: true });
      return Number(/swaps=(\d+)/.exec(out)?.[1] ?? "0");
    },
  };
}

let before: Fingerprint;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 1, workers: 0, seed: false, storage: "btrfs" });
  n1 = cluster.nodes[0]!;
  // Root's, outside every customer tree, not readable by anyone else.
  canaryDir = await mkdtemp("/var/tmp/shoal-canary-");
  await writeFile(path.join(canaryDir, "secret.txt"), canaryText, { mode: 0o600 });
  await writeFile(path.join(canaryDir, "f.txt"), canaryText, { mode: 0o600 });
  await chmod(canaryDir, 0o700);
  before = await fingerprint(canaryDir);
  const spec = {
    accounts: [{ id: "raceacc1", username: alice, status: "ACTIVE" }],
    sites: [{ id: siteId, accountId: "raceacc1", domains: [host], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
    databases: [],
  };
  const res = await cluster.agentFetch(n1, "/v1/spec", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(spec) });
  expect(await res.json()).toMatchObject({ ok: true, failed: 0 });
  await putSiteFile(n1.root, alice, siteId, "index.php", "<?php echo 'race ok';");
  const user = (await lookupSystemUser(alice))!;
  const race = path.join(n1.root.siteDir(alice, siteId), "public", "race");
  // The racer works in a directory of hers.
  await cluster.waitFor("the site to serve", async () => (await httpGet({ address: n1.address, httpPort: clusterPorts.backend }, host, "/")).body === "race ok");
  await mkdir(race);
  await chown(race, user.uid, user.gid);
}, 300_000);

afterAll(async () => {
  await publishTable("security-root-paths");
  await cluster?.stop();
  if (canaryDir) await rm(canaryDir, { recursive: true, force: true });
}, 300_000);

/** Nothing of Alice's tree is root's, and the canary is as it was. */
async function untouched(): Promise<string[]> {
  const problems: string[] = [];
  const after = await fingerprint(canaryDir);
  if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`canary changed: ${JSON.stringify(after)}`);
  const site = n1.root.siteDir(alice, siteId);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      const s = await stat(p).catch(() => null);
      if (!s) continue;
      // Nothing is excepted: the dumps are in the volume's platform part, not in her tree (volume-layout.ts).
      if (s.uid === 0 && !entry.isSymbolicLink()) problems.push(`root owns ${path.relative(site, p)}`);
      if (entry.isDirectory()) await walk(p);
    }
  };
  await walk(site);
  return problems;
}

describe("root-run work on a tree its owner keeps swapping", () => {
  const rounds = 60;

  attempt(
    "races",
    `snapshots and browses of paths swapped to a root-only directory (${rounds} rounds each)`,
    "never reads the canary",
    async () => {
      const racer = await startRacer();
      const leaks: string[] = [];
      let browsed = 0;
      let swaps = 0;
      try {
        for (let i = 0; i < rounds; i++) {
          const snap = name();
          const made = await agent("POST", `/v1/sites/${siteId}/snapshots`, { name: snap, databases: [] });
          if (made.status >= 300) throw new Error(`snapshot ${snap}: ${made.status} ${made.text}`);
          for (const p of ["public/race/d/f.txt", "public/race/f.txt", "public/race/d/secret.txt", "public/race/d"]) {
            const got = await agent("GET", `/v1/sites/${siteId}/snapshots/${snap}/files?path=${encodeURIComponent(p)}`);
            browsed++;
            // A symlink is answered as one (its target is the customer's own text); a listing or
            // a file that came through it would carry the canary's names or bytes.
            const listed = (got.json as { entries?: { name: string }[] } | null)?.entries?.some((e) => e.name === "secret.txt") ?? false;
            if (got.text.includes(canaryText) || listed) leaks.push(`${snap} ${p}: ${got.status} ${got.text.slice(0, 80)}`);
          }
        }
      } finally {
        swaps = await racer.stop();
      }
      leaks.push(...(await untouched()));
      if (swaps === 0) leaks.push(`the racer never swapped: ${racer.output().slice(0, 600)}`);
      return { held: leaks.length === 0, observed: leaks.length ? leaks.slice(0, 3).join("; ") : `${rounds} snapshots, ${browsed} browses during ${swaps} swaps: nothing of the canary` };
    },
    240_000,
  );

  attempt(
    "races",
    `single-file restores into paths swapped to symlinks (${rounds * 2} restores)`,
    "never writes or chowns outside the site",
    async () => {
      // A snapshot holding real files at the raced paths.
      const user = (await lookupSystemUser(alice))!;
      const race = path.join(n1.root.siteDir(alice, siteId), "public", "race");
      // (rm and mkdir do not follow a symlink the racer left; writeFile and chown would.)
      await rm(path.join(race, "d"), { recursive: true, force: true });
      await rm(path.join(race, "f.txt"), { force: true });
      await mkdir(path.join(race, "d"));
      await writeFile(path.join(race, "d", "f.txt"), "from the snapshot\n", { flag: "wx" });
      await writeFile(path.join(race, "f.txt"), "from the snapshot\n", { flag: "wx" });
      for (const p of [path.join(race, "d"), path.join(race, "d", "f.txt"), path.join(race, "f.txt")]) await chown(p, user.uid, user.gid);
      const snap = name();
      const made = await agent("POST", `/v1/sites/${siteId}/snapshots`, { name: snap, databases: [] });
      if (made.status >= 300) throw new Error(`snapshot: ${made.status} ${made.text}`);
      const racer = await startRacer();
      const outcomes = new Map<number, number>();
      const failures: string[] = [];
      let swaps = 0;
      try {
        for (let i = 0; i < rounds; i++) {
          for (const p of ["public/race/d/f.txt", "public/race/f.txt"]) {
            const r = await agent("POST", `/v1/sites/${siteId}/restore-file`, { name: snap, path: p });
            outcomes.set(r.status, (outcomes.get(r.status) ?? 0) + 1);
            if (r.status >= 500) failures.push(r.text.slice(0, 200));
          }
        }
      } finally {
        swaps = await racer.stop();
      }
      const problems = await untouched();
      if (swaps === 0) problems.push(`the racer never swapped: ${racer.output().slice(0, 200)}`);
      // A path the customer swapped is refused as a conflict, never an internal error.
      if (failures.length) problems.push(`internal errors: ${failures.slice(0, 2).join(" | ")}`);
      const summary = [...outcomes].map(([s, n]) => `${n}× ${s}`).join(", ");
      return { held: problems.length === 0, observed: problems.length ? problems.slice(0, 3).join("; ") : `${summary} during ${swaps} swaps; canary intact, nothing root's` };
    },
    240_000,
  );

  attempt(
    "races",
    `rollbacks of the whole site while its files are swapped (${rounds / 3} rollbacks)`,
    "never follows a symlink out of the site",
    async () => {
      const racer = await startRacer();
      const outcomes = new Map<number, number>();
      let swaps = 0;
      try {
        for (let i = 0; i < rounds / 3; i++) {
          const snap = name();
          const made = await agent("POST", `/v1/sites/${siteId}/snapshots`, { name: snap, databases: [] });
          if (made.status >= 300) throw new Error(`snapshot: ${made.status} ${made.text}`);
          const r = await agent("POST", `/v1/sites/${siteId}/restore`, { name: snap, keepCurrentAs: name("pre") });
          outcomes.set(r.status, (outcomes.get(r.status) ?? 0) + 1);
        }
      } finally {
        swaps = await racer.stop();
      }
      const problems = await untouched();
      const summary = [...outcomes].map(([s, n]) => `${n}× ${s}`).join(", ");
      const page = await httpGet({ address: n1.address, httpPort: clusterPorts.backend }, host, "/");
      if (page.body !== "race ok") problems.push(`the site answers ${page.status} ${page.body.slice(0, 60)}`);
      return { held: problems.length === 0, observed: problems.length ? problems.slice(0, 3).join("; ") : `${summary} during ${swaps} swaps; canary intact, site serves` };
    },
    240_000,
  );
});
