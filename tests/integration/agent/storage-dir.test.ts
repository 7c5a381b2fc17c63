import { chmod, lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNodeLayout, nodeRoot, type NodeRoot } from "../../../worker/agent/node-root";
import { siteStorage } from "../../../worker/agent/storage/site-storage";
import { storageSuite } from "./storage-suite";

// The portable directory driver (hard-linked snapshots, our own incremental stream).
storageSuite({ storage: "dir", address: "127.0.25.1", peerAddress: "127.0.25.2", httpPort: 18501, mysqlPort: 13501, agentPort: 18510 });

// A stream is input from another machine: whatever it says, a receive writes only inside the new
// snapshot, and a stream that breaks the format leaves nothing behind.
describe("dir stream receive", () => {
  let base: string;
  let node: NodeRoot;
  beforeAll(async () => {
    base = await mkdtemp("/var/tmp/shoal-storage-stream-");
    await chmod(base, 0o755);
    node = nodeRoot({ root: path.join(base, "node"), address: "127.0.25.5", httpPort: 18505, mysqlPort: 13505 });
    await ensureNodeLayout(node);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const frame = (t: string, header: object, payload = Buffer.alloc(0)) => {
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(5);
    head.write(t, 0, "latin1");
    head.writeUInt32BE(json.length, 1);
    return Buffer.concat([head, json, payload]);
  };
  const meta = { mode: 0o755, uid: 0, gid: 0, mtimeMs: 0 };
  const name = "s-20261201T200000Z";
  const stream = (...records: Buffer[]) => Readable.from([Buffer.concat([Buffer.from("SHOALDIR1\n"), frame("H", { name, parent: null, parentSummary: null }), ...records])]);

  // Built when the test runs: `base` exists only then.
  const cases: Record<string, () => Buffer[]> = {
    "a file under a symlink of the stream": () => [frame("D", { path: "", ...meta }), frame("S", { path: "evil", target: base, uid: 0, gid: 0, mtimeMs: 0 }), frame("F", { path: "evil/planted", size: 3, ...meta }, Buffer.from("abc"))],
    "a path that climbs out": () => [frame("D", { path: "", ...meta }), frame("F", { path: "../../planted", size: 3, ...meta }, Buffer.from("abc"))],
    "an absolute path": () => [frame("D", { path: "", ...meta }), frame("F", { path: `${base}/planted`, size: 3, ...meta }, Buffer.from("abc"))],
    "a file in a directory the stream never made": () => [frame("D", { path: "", ...meta }), frame("F", { path: "nodir/planted", size: 3, ...meta }, Buffer.from("abc"))],
    "a truncated file": () => [frame("D", { path: "", ...meta }), frame("F", { path: "short", size: 100, ...meta }, Buffer.from("abc"))],
    "no end record": () => [frame("D", { path: "", ...meta })],
    "a wrong checksum": () => [frame("D", { path: "", ...meta }), frame("E", { records: 2, summary: "x", sha256: "0".repeat(64) })],
  };
  it.each(Object.keys(cases))("refuses %s and leaves nothing", async (what) => {
    const storage = siteStorage(node);
    await expect(storage.receiveSnapshot("site1", stream(...cases[what]!()), { name, maxBytes: 1 << 20 })).rejects.toMatchObject({ code: "INVALID" });
    expect(await lstat(path.join(base, "planted")).catch(() => null)).toBeNull();
    expect(await storage.listSnapshots("site1")).toEqual([]);
    expect(await readdir(node.storageStagingDir)).toEqual([]);
    expect((await readdir(path.join(node.snapshotsDir, "site1"))).filter((e) => e !== ".meta")).toEqual([]);
  });

  it("refuses a stream of another snapshot than the one named", async () => {
    await expect(siteStorage(node).receiveSnapshot("site1", stream(), { name: "s-20261201T200001Z", maxBytes: 1 << 20 })).rejects.toThrow(/holds snapshot/);
  });
});
