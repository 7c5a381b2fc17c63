import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { waitFor } from "../../worker/agent/wait-for";

// A redis-server of a test's own, on a free loopback port and without persistence, for tests that
// empty or restart Redis (never the shared one). `restart()` brings it back empty on the same port.

export type ThrowawayRedis = {
  port: number;
  url: string;
  /** Stops the server (SIGKILL, so nothing is kept) and starts it again empty on the same port. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-test-redis-"));
  const port = await freePort();
  let proc: ChildProcess | null = null;

  const start = async () => {
    proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    // redis-server listens a moment after it is spawned: a command sent before that is refused.
    const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await waitFor("the test's Redis to answer", () => probe.connect().then(() => probe.ping()).then((p) => p === "PONG").catch(() => false), { timeoutMs: 10_000 });
    } finally {
      probe.disconnect();
    }
  };
  const kill = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
