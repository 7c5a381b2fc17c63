import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { acquireRunLock, isAlive, selfRef } from "../cluster/run-lock";

// The cluster harness's run lock (tests/cluster/run-lock.ts): a second run on the same network
// waits for the first, or fails naming it; a dead holder's lock is taken over.

const name = `selftest-${randomBytes(4).toString("hex")}`;
const file = `/var/tmp/shoal-cluster-lock.${name}`;
afterEach(() => rm(file, { force: true }));

/** A process that lives until killed, and its /proc identity. */
async function otherProcess() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await new Promise((r) => child.once("spawn", r));
  const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
  return { child, ref: { pid: child.pid!, start } };
}

describe("cluster run lock", () => {
  it("is taken, released, and taken again", async () => {
    const lock = await acquireRunLock(name, { waitMs: 1_000 });
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject(await selfRef());
    await lock.release();
    await expect(readFile(file, "utf8")).rejects.toThrow();
    await (await acquireRunLock(name, { waitMs: 1_000 })).release();
  });

  it("a live holder makes the second run wait, then fail naming it", async () => {
    const { child, ref } = await otherProcess();
    try {
      await writeFile(file, JSON.stringify({ ...ref, since: "2026-12-03T00:00:00.000Z" }));
      const lines: string[] = [];
      const started = Date.now();
      await expect(acquireRunLock(name, { waitMs: 1_200, log: (l) => lines.push(l) })).rejects.toThrow(
        new RegExp(`holds ${name} \\(pid ${ref.pid} since 2026-12-03T00:00:00.000Z: .*node -e`),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
      expect(lines).toEqual([expect.stringContaining(`waiting for the test cluster of pid ${ref.pid}`)]);
      // The lock is still the holder's.
      expect(JSON.parse(await readFile(file, "utf8")).pid).toBe(ref.pid);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("waits for a live holder that finishes, then takes the lock", async () => {
    const { child, ref } = await otherProcess();
    await writeFile(file, JSON.stringify(ref));
    setTimeout(() => child.kill("SIGKILL"), 600);
    const started = Date.now();
    const lock = await acquireRunLock(name, { waitMs: 10_000, log: () => {} });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(await readFile(file, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("takes over the lock of a dead holder, of a reused pid and of a half-written file", async () => {
    const { child, ref } = await otherProcess();
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(await isAlive(ref)).toBe(false);
    for (const stale of [JSON.stringify(ref), JSON.stringify({ pid: process.pid, start: "1" }), ""]) {
      await writeFile(file, stale);
      const lock = await acquireRunLock(name, { waitMs: 0 });
      expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject(await selfRef());
      await lock.release();
    }
  });

  it("release leaves alone a lock that another run took over meanwhile", async () => {
    const { child, ref } = await otherProcess();
    try {
      const lock = await acquireRunLock(name, { waitMs: 0 });
      await writeFile(file, JSON.stringify(ref));
      await lock.release();
      expect(JSON.parse(await readFile(file, "utf8")).pid).toBe(ref.pid);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
