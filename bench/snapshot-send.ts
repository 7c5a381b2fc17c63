import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../worker/agent/node-root";
import { ensureLoopStore, releaseLoopStore } from "../worker/agent/storage/loop-store";
import { siteStorage } from "../worker/agent/storage/site-storage";

// Snapshot send time for 1, 10 and 100 MB deltas, for both storage
// drivers: a site of BASE_MB (files of 1 MB), a snapshot, then DELTA MB of its files rewritten,
// a snapshot, and the incremental stream (send -p the previous one) piped into a second node
// root's receive, as replication does (minus HTTP). Printed per delta: the snapshot time, the
// send alone (stream read to its end), the send piped into the receive, and the stream size.
// Root only (btrfs loop images under /var/tmp). No MariaDB: the sites have no databases.
//   npx tsx bench/snapshot-send.ts        DELTAS=1,10,100 BASE_MB=120 DRIVERS=btrfs,dir

const DELTAS = (process.env.DELTAS ?? "1,10,100").split(",").map(Number);
const BASE_MB = Number(process.env.BASE_MB ?? 120);
const DRIVERS = (process.env.DRIVERS ?? "btrfs,dir").split(",") as ("btrfs" | "dir")[];
const siteId = "bench1";
const mb = 1024 * 1024;

let counter = 0;
const nextName = () => `s-20261201T20${String(Math.floor(counter / 60)).padStart(2, "0")}${String(counter++ % 60).padStart(2, "0")}Z`;

async function collectSize(stream: Readable): Promise<number> {
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

async function benchDriver(kind: "btrfs" | "dir"): Promise<void> {
  const base = await mkdtemp(`/var/tmp/shoal-bench-snapshot-${kind}-`);
  await chmod(base, 0o755);
  const roots: NodeRoot[] = [];
  try {
    const make = async (name: string, address: string) => {
      const node = nodeRoot({ root: path.join(base, name), address, httpPort: 18590, mysqlPort: 13590, storage: kind });
      roots.push(node);
      await mkdir(node.root, { recursive: true });
      if (kind === "btrfs") await ensureLoopStore(node, { sizeBytes: (BASE_MB * 2 + DELTAS.reduce((a, b) => a + b, 0) * 2 + 512) * mb });
      await ensureNodeLayout(node);
      return node;
    };
    const source = await make("a", "127.0.25.90");
    const target = await make("b", "127.0.25.91");
    const from = siteStorage(source);
    const to = siteStorage(target);
    // A site needs only its account's sites directory here; no Unix user is involved.
    await mkdir(path.join(source.accountHome("bench"), "sites"), { recursive: true });
    await from.ensureSiteVolume({ username: "bench", siteId });
    const siteDir = source.siteDir("bench", siteId);
    const files = Math.max(BASE_MB, ...DELTAS);
    for (let i = 0; i < files; i++) await writeFile(path.join(siteDir, `part${i}.bin`), randomBytes(mb));

    let previous = nextName();
    await from.createSnapshot(siteId, previous);
    await to.receiveSnapshot(siteId, await from.sendSnapshot(siteId, previous), { name: previous, maxBytes: 2 ** 40 });
    console.log(`\n${kind}: site of ${files} MB (1 MB files); load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    console.log("  delta    snapshot   send only   send→receive   stream size");
    for (const delta of DELTAS) {
      for (let i = 0; i < delta; i++) await writeFile(path.join(siteDir, `part${i}.bin`), randomBytes(mb));
      const name = nextName();
      const t0 = performance.now();
      await from.createSnapshot(siteId, name);
      const t1 = performance.now();
      const size = await collectSize(await from.sendSnapshot(siteId, name, previous));
      const t2 = performance.now();
      await to.receiveSnapshot(siteId, await from.sendSnapshot(siteId, name, previous), { name, maxBytes: 2 ** 40 });
      const t3 = performance.now();
      console.log(
        `  ${String(delta).padStart(3)} MB  ${(t1 - t0).toFixed(0).padStart(6)} ms  ${(t2 - t1).toFixed(0).padStart(7)} ms  ${(t3 - t2).toFixed(0).padStart(9)} ms    ${(size / mb).toFixed(2).padStart(7)} MB`,
      );
      previous = name;
    }
  } finally {
    for (const node of roots) if (kind === "btrfs") await releaseLoopStore(node).catch((e: unknown) => console.error(e));
    await rm(base, { recursive: true, force: true });
  }
}

for (const kind of DRIVERS) await benchDriver(kind);
