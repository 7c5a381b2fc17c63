/**
 * The cluster test harness: a real Shoal cluster on this machine for one test file.
 *
 *   const cluster = await startCluster({ nodes: 3 });      // workers: 1 by default
 *   afterAll(() => cluster.stop());
 *
 * What startCluster brings up
 * - Database: the test file's own database (tests/helpers/test-database.ts clones it from the
 *   migrated template before the file's imports; `import { db } from "server/db"` is the same
 *   database). It registers the nodes (Node rows "node-1".."node-N") and seeds the tenant tree of
 *   tests/helpers/fixtures.ts makeWorld() as `cluster.world` (pass `seed: false` to skip).
 * - Nodes: node i (1-based) is a real agent process (node on the bundle that npm start runs, as root) on 127.0.2.i (SHOAL_CLUSTER_NET changes the 127.0.2) with its
 *   own root under /var/tmp/shoal-cluster-test-*, its own token agentSecret(clusterSecret,
 *   "node-i"), its certificate from the tests' cluster CA in <root>/tls (tests/helpers/cluster-tls.ts), and fixed ports on its address: agent 17400, front door 18080, backend 18081, hold
 *   18082, MariaDB 13306 (the dev cluster of `npm start` uses 127.0.1.x, so both can run). The
 *   agent starts nginx, php-fpm and MariaDB on its first PUT /v1/spec, like a fresh node.
 * - Control workers: `workers` processes of worker/control/main.ts (default 1 when that file
 *   exists, else none), with a BullMQ prefix of their own (`cluster.queuePrefix`).
 * - Supervised mode (opt-in: startCluster({ supervised: true })): every agent and worker runs
 *   under scripts/supervise.sh, the worker from its bundle, as npm start runs them; a process
 *   killed behind the harness's back comes back by itself. supervisedPid(kind, i) is the process
 *   under supervisor i (killAgent, killWorker and signalNode stop the supervisor, not only it).
 *
 * Helpers (node and worker numbers are 1-based, as in the node names)
 * - agentFetch(i, path, init?): fetch to node i's agent signed with node i's token (an
 *   `authorization` header in init wins, to test other tokens), over TLS with the control
 *   plane's certificate as the control workers call. Returns the fetch Response.
 * - edgeGet(i, host, path): GET through node i's front door with that Host header:
 *   { status, body }.
 * - killAgent(i, signal = "SIGKILL"): stops node i's agent only; its nginx, php-fpm and MariaDB
 *   keep running, as after an agent crash.
 * - signalNode(i, signal): signals all of node i's processes at once (SIGKILL: the node dies;
 *   SIGSTOP/SIGCONT: it hangs and comes back); restartNode(i) starts a killed node's agent, which
 *   resumes its masters.
 * - restartAgent(i, env?): stops node i's agent if it runs (SIGTERM), starts it again and waits for
 *   /v1/health; `env` is merged over agentEnv for node i's agent from then on (a bench switching
 *   one node's behaviour between rounds).
 * - startWorker(): starts one more control worker, returns its number.
 * - killWorker(j, signal = "SIGTERM"): signals worker j and waits until it has exited.
 * - waitFor(what, check, { timeoutMs = 30_000 }): polls check until it returns a value other than
 *   undefined/false (worker/agent/wait-for.ts with a cluster-sized default timeout).
 * - logTail(kind, i): the last lines of "agent" i's or "worker" j's output, for failure messages.
 * - stop(): tears everything down whatever state the test left: workers, agents, every node's
 *   masters (also ones a test orphaned), Unix users under the node roots, the node roots, the
 *   queue prefix's Redis keys, and in netns mode the namespaces, veths, bridge and blackhole
 *   route. The database is dropped after the file by test-database.ts.
 *
 * Netns mode (opt-in: startCluster({ netns: true })): every node runs in a network namespace of
 * its own, linked to a bridge in the root namespace by a veth pair (tests/cluster/netns.ts), on
 * SHOAL_CLUSTER_NETNS_NET (default 10.213.0) instead of loopback: node i is <net>.i, the bridge
 * <net>.254. Its agent (and so its nginx, php-fpm and MariaDB) starts inside the namespace.
 * cutLink(i) takes node i's link down inside its namespace (a node cut off for real: packets go
 * unanswered, nothing is refused) and restoreLink(i) brings it back; partition() is
 * loopback-only.
 *
 * One cluster per network at a time (the addresses are fixed); tests/cluster/vitest.config.ts
 * runs the files one after another. Across processes (a CI run beside a developer's run or a
 * bench) startCluster holds a lock per network (run-lock.ts) from before it reaps leftovers until
 * stop(), so a second run waits for the first instead of taking its live nodes for leftovers; a
 * node root records its run, and only roots whose run is gone are reaped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { Headers, type RequestInit as AgentRequestInit, type Response as AgentResponse } from "undici";
import { agentSecret } from "../../server/contract/cluster-secrets";
import { signedHeaders, unsignedPayload } from "../../server/contract/agent-signature";
import { agentUrl, controlTransport } from "../../server/contract/agent-transport";
import { ensureTestNodeTlsFiles, ensureTestTls, testControlTlsDir } from "../helpers/cluster-tls";
import { agentNodeFlags, buildAgent, buildControlWorker } from "../../scripts/cluster/build-agent";
import { registerNodes } from "../../scripts/cluster/register-local-nodes";
import { findNodeMasters, stopNodeMasters } from "../../scripts/cluster/stop-node";
import { stopDaemon } from "../../worker/agent/daemon";
import { nodeRoot, type NodeRoot } from "../../worker/agent/node-root";
import { runCommand } from "../../worker/agent/run-command";
import { waitFor as waitForBase } from "../../worker/agent/wait-for";
import { destroyNode, httpGet, type Response as EdgeResponse } from "../integration/agent/node-harness";
import { ensureLoopStore, releaseLoopStore } from "../../worker/agent/storage/loop-store";
import { acquireRunLock, isAlive, selfRef, type ProcessRef, type RunLock } from "./run-lock";
import { cutLink, netnsNetwork, restoreLink, setupNetns, teardownNetns, type NetnsNetwork } from "./netns";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const controlMain = path.join(repoRoot, "worker/control/main.ts");
const supervisor = path.join(repoRoot, "scripts/supervise.sh");

export const clusterPorts = { agent: 17400, http: 18080, backend: 18081, hold: 18082, mysql: 13306, sftp: 18022 } as const;
/**
 * The /24 the test cluster's nodes live on: 127.0.2 unless SHOAL_CLUSTER_NET names another
 * (three octets, 127.x.y), so two checkouts or two people can run cluster tests side by side.
 */
export const clusterNet = (() => {
  const net = process.env.SHOAL_CLUSTER_NET ?? "127.0.2";
  if (!/^127\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$/.test(net)) {
    throw new Error(`SHOAL_CLUSTER_NET must be three octets of loopback, like 127.0.2 (got "${net}").`);
  }
  return net;
})();
export const clusterAddress = (i: number) => `${clusterNet}.${i}`;
/** How long startCluster waits for another run on the same network (inside the 300 s hook timeout). */
const lockWaitMs = 240_000;

export type ClusterNode = {
  /** 1-based, as in the name. */
  index: number;
  name: string;
  address: string;
  secret: string;
  root: NodeRoot;
  /** Netns mode: the node's network namespace. */
  netns?: string;
};

export type ClusterOptions = {
  nodes?: number;
  /** Control workers to start; default 1 if worker/control/main.ts exists, else 0. */
  workers?: number;
  /** Seed the fixtures' tenant tree (makeWorld); default true. */
  seed?: boolean;
  /** Extra environment for every agent (merged over the harness's). */
  agentEnv?: Record<string, string>;
  /** Extra environment for every control worker. */
  workerEnv?: Record<string, string>;
  /** Site storage driver; "btrfs" gives each node a loop-mounted image (worker/agent/storage/loop-store.ts). Default "dir". */
  storage?: "btrfs" | "dir";
  /**
   * Each node in a network namespace of its own behind a bridge (see the header); default false:
   * every node on its loopback address in the root namespace.
   */
  netns?: boolean;
  /** Agents and workers under scripts/supervise.sh, as npm start runs them (see the header); default false. */
  supervised?: boolean;
};

type World = Awaited<ReturnType<typeof import("../helpers/fixtures").makeWorld>>;

export type Cluster = {
  nodes: ClusterNode[];
  clusterSecret: string;
  queuePrefix: string;
  databaseUrl: string;
  world: World | null;
  agentFetch(node: number | ClusterNode, urlPath: string, init?: AgentRequestInit): Promise<AgentResponse>;
  edgeGet(node: number | ClusterNode, host: string, urlPath?: string): Promise<EdgeResponse>;
  killAgent(node: number, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Sends `signal` to every process of node i at once: its agent, its nginx, php-fpm and MariaDB
   * masters and their workers. SIGKILL is a node dying (waits until all are gone); SIGSTOP a node
   * that hangs (connections are not refused, they go unanswered) until SIGCONT. Resolves when the
   * signals went out (Date.now()): finding the processes takes a moment, measure from here.
   */
  signalNode(node: number, signal: NodeJS.Signals): Promise<number>;
  /** Starts a killed node again: its agent, which resumes the node's masters. */
  restartNode(node: number): Promise<void>;
  /**
   * A netsplit: node i becomes unreachable for the control plane and the other nodes (an
   * nftables table drops every packet to its address but its own MariaDB's), while clients that connect from
   * `farSide` (loopback addresses of this net, e.g. clusterAddress(200)) still reach it, as
   * visitors on its side of the split would. heal() removes the table.
   */
  partition(node: number, farSide: string[]): Promise<void>;
  heal(): Promise<void>;
  /**
   * Netns mode only: node i's link goes down inside its namespace, so nothing reaches it and it
   * reaches nothing (its own processes still talk to each other on its address). Resolves with
   * the time of the cut (Date.now()).
   */
  cutLink(node: number): Promise<number>;
  /** Netns mode only: brings node i's link back up. */
  restoreLink(node: number): Promise<void>;
  /** Netns mode: the network (names, range, bridge address); null on loopback. */
  network: NetnsNetwork | null;
  restartAgent(node: number, env?: Record<string, string>): Promise<void>;
  startWorker(): Promise<number>;
  killWorker(worker: number, signal?: NodeJS.Signals): Promise<void>;
  waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, options?: { timeoutMs?: number; intervalMs?: number }): Promise<T>;
  logTail(kind: "agent" | "worker", index: number, lines?: number): Promise<string>;
  /** Supervised mode: the pid of the agent or worker its supervisor runs now (undefined between runs). */
  supervisedPid(kind: "agent" | "worker", index: number): number | undefined;
  stop(): Promise<void>;
};

type Proc = { child: ChildProcess; exited: Promise<void>; log: string };

/**
 * Spawns `node <args>` in its own process group, output appended to `log`: the agent from its
 * bundle (as npm start runs it), the control worker through tsx.
 */
async function spawnNode(args: string[], env: Record<string, string>, log: string, wrap: string[] = []): Promise<Proc> {
  const out = await open(log, "a");
  try {
    // `wrap`: a command that execs node in place (nsenter into a node's network namespace).
    const [file, ...prefix] = [...wrap, process.execPath];
    const child = spawn(file, [...prefix, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", out.fd, out.fd],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return { child, exited, log };
  } finally {
    await out.close();
  }
}

const running = (proc: Proc | undefined) => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;

/** Signals the process group; SIGKILLs it if it has not exited after `graceMs`. */
async function stopProc(proc: Proc | undefined, signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000): Promise<void> {
  if (!proc || !running(proc)) return;
  const pid = proc.child.pid!;
  try {
    process.kill(-pid, signal);
  } catch {
    return;
  }
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
  if ((await Promise.race([proc.exited, timer])) === "timeout") {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    await proc.exited;
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines - 1).join("\n");
}

/** The nftables table of partition() (one per cluster net, so side-by-side clusters keep theirs). */
const splitTable = `shoal_test_split_${clusterNet.replaceAll(".", "_")}`;

async function healSplit(): Promise<void> {
  await runCommand("/usr/sbin/nft", ["delete", "table", "inet", splitTable]).catch(() => undefined);
}

/** The masters of the node at `root` (scripts/cluster/stop-node.ts) and all their children. */
async function nodeProcesses(root: string): Promise<number[]> {
  const masters = (await findNodeMasters(root)).map((m) => m.pid);
  const parents = new Set(masters);
  const children: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || parents.has(pid)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]);
      if (parents.has(ppid)) children.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return [...masters, ...children];
}

/** The file in a node root's directory naming the run that owns it (tests/cluster/run-lock.ts). */
const ownerFile = (dir: string) => path.join(dir, "owner.json");

/**
 * Whether a /var/tmp/shoal-cluster-test-* directory is a leftover: its run is gone. A run on
 * another cluster net may be alive beside this one; its nodes are not ours to reap.
 */
async function isLeftover(dir: string): Promise<boolean> {
  const owner = await readFile(ownerFile(dir), "utf8")
    .then((text) => JSON.parse(text) as ProcessRef)
    .catch(() => null);
  return !owner || !(await isAlive(owner));
}

/**
 * Test agents of a run that died without stop(): those on this run's addresses (it holds their
 * lock, so no live run has them) and those whose node root is a leftover.
 */
async function leftoverAgents(network: NetnsNetwork | null): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
      if (!cmdline.some((arg) => arg.endsWith("var/build/agent.mjs"))) continue;
      const environ = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
      const onOurs = environ.some((v) => v.startsWith(`AGENT_HOST=${clusterNet}.`) || (network && v.startsWith(`AGENT_HOST=${network.net}.`)));
      const root = environ.find((v) => v.startsWith("NODE_ROOT=/var/tmp/shoal-cluster-test-"))?.slice("NODE_ROOT=".length);
      if (onOurs || (root && (await isLeftover(path.dirname(root))))) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Whatever an earlier run left (it was killed before stop()) goes first: its agents, its nodes'
 * masters, Unix users and roots. The caller holds the run locks of its networks.
 */
async function reapLeftovers(network: NetnsNetwork | null): Promise<void> {
  if (existsSync("/usr/sbin/nft")) await healSplit();
  await Promise.all((await leftoverAgents(network)).map((pid) => stopDaemon(pid, "SIGTERM", "a leftover test agent")));
  for (const entry of await readdir("/var/tmp")) {
    if (!entry.startsWith("shoal-cluster-test-") || entry.startsWith("shoal-cluster-test-logs-")) continue;
    if (!(await isLeftover(path.join("/var/tmp", entry)))) continue;
    const root = path.join("/var/tmp", entry, "node");
    await stopNodeMasters(root);
    await removeUsersUnder(path.join(root, "home"));
    // A btrfs node (storage: "btrfs") keeps its homes on its loop-mounted store.
    await removeUsersUnder(path.join(root, "store/home"));
    await releaseLoopStore({ storeDir: path.join(root, "store") });
    await rm(path.join("/var/tmp", entry), { recursive: true, force: true });
  }
  // Netns mode's namespaces, veths, bridge and blackhole route of a crashed run (setupNetns
  // clears them again right before it builds its own).
  if (network) await teardownNetns(network);
}

/** Deletes the Unix users whose home is directly under `homeDir` (accounts of a node). */
async function removeUsersUnder(homeDir: string): Promise<void> {
  for (const line of (await readFile("/etc/passwd", "utf8")).split("\n")) {
    const [name, , , , , home] = line.split(":");
    if (name && home && path.dirname(home) === homeDir) await runCommand("/usr/sbin/userdel", [name]).catch(() => {});
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  if (count < 1 || count > 9) throw new Error("A test cluster has 1 to 9 nodes.");
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error("DATABASE_URL is not set: run through tests/cluster/vitest.config.ts.");
  const runId = randomBytes(4).toString("hex");
  const clusterSecret = `cluster-test-${randomBytes(24).toString("hex")}`;
  const queuePrefix = `shoal-test-${runId}`;
  const network = options.netns ? netnsNetwork() : null;
  // Before anything else: another run on these addresses would take this one's nodes for
  // leftovers (and this one its), so wait for it to finish (run-lock.ts).
  const locks: RunLock[] = [await acquireRunLock(`net-${clusterNet}`, { waitMs: lockWaitMs })];
  if (network) {
    try {
      locks.push(await acquireRunLock(`netns-${network.net}`, { waitMs: lockWaitMs }));
    } catch (e) {
      await locks[0]!.release();
      throw e;
    }
  }
  const releaseLocks = async () => {
    for (const lock of locks) await lock.release();
  };
  let owner: ProcessRef, agentScript: string, logDir: string, controlScript: string | null = null;
  try {
    owner = await selfRef();
    await ensureTestTls();
    agentScript = await buildAgent();
    if (options.supervised) controlScript = await buildControlWorker();
    logDir = await mkdtemp("/var/tmp/shoal-cluster-test-logs-");
  } catch (e) {
    await releaseLocks();
    throw e;
  }

  const nodes: ClusterNode[] = [];
  const agents = new Map<number, Proc>();
  /** Each node's own environment over agentEnv (restartAgent's `env`). */
  const agentEnvOf = new Map<number, Record<string, string>>();
  const workers = new Map<number, Proc>();
  let nextWorker = 1;

  const nodeAt = (ref: number | ClusterNode) => {
    const node = typeof ref === "number" ? nodes[ref - 1] : ref;
    if (!node) throw new Error(`No node ${String(typeof ref === "number" ? ref : ref.name)} in this cluster.`);
    return node;
  };
  const agentLog = (i: number) => path.join(logDir, `agent-${i}.log`);
  const workerLog = (j: number) => path.join(logDir, `worker-${j}.log`);
  // Supervised mode: the supervisor runs node in place of the harness (its own lines go to the log too).
  const underSupervisor = (name: string, log: string) => (options.supervised ? ["bash", supervisor, name, log] : []);

  async function agentFetch(ref: number | ClusterNode, urlPath: string, init: AgentRequestInit = {}) {
    const node = nodeAt(ref);
    const headers = new Headers(init.headers);
    // Signed with the node's secret as the control plane signs (a string body hashed, a stream not).
    if (!headers.has("authorization")) {
      const body = init.body == null ? "" : typeof init.body === "string" ? init.body : unsignedPayload;
      for (const [name, value] of Object.entries(signedHeaders(node.secret, init.method ?? "GET", urlPath, body))) headers.set(name, value);
    }
    return controlTransport().fetch(agentUrl({ address: node.address, port: clusterPorts.agent }, urlPath), { ...init, headers, signal: init.signal ?? AbortSignal.timeout(120_000) });
  }

  const waitFor: Cluster["waitFor"] = (what, check, opts = {}) =>
    waitForBase(what, check, { timeoutMs: 30_000, intervalMs: 100, ...opts });

  async function startAgent(i: number): Promise<void> {
    const node = nodeAt(i);
    if (node.root.storage === "btrfs") await ensureLoopStore(node.root, { sizeBytes: 1024 ** 3 });
    const proc = await spawnNode(
      [...agentNodeFlags, agentScript],
      {
        AGENT_HOST: node.address,
        AGENT_PORT: String(clusterPorts.agent),
        AGENT_SECRET: node.secret,
        NODE_ROOT: node.root.root,
        NODE_HTTP_PORT: String(clusterPorts.http),
        NODE_BACKEND_PORT: String(clusterPorts.backend),
        NODE_HOLD_PORT: String(clusterPorts.hold),
        NODE_SFTP_PORT: String(clusterPorts.sftp),
        NODE_MYSQL_PORT: String(clusterPorts.mysql),
        NODE_TRUSTED_PROXIES: network ? network.range : `${clusterNet}.0/24`,
        // Port 80 as well, so a browser (tests/cluster/browser.test.ts maps *.test to a node)
        // reaches a hosted site at its plain http:// URL, the one WordPress redirects to.
        NODE_EXTRA_LISTEN: `${node.address}:80`,
        NODE_STORAGE: node.root.storage,
        // The repository's var/ (secrets, logs, the agent bundle) is not the customers' to see.
        NODE_PRIVATE_PATHS: path.resolve("var"),
        ...options.agentEnv,
        ...agentEnvOf.get(i),
      },
      agentLog(i),
      [...(network ? network.exec(i) : []), ...underSupervisor(`node-${i}`, agentLog(i))],
    );
    agents.set(i, proc);
    await waitFor(`${node.name}'s agent to answer /v1/health`, async () => {
      if (!running(proc)) throw new Error(`it exited:\n${await tail(proc.log)}`);
      const res = await agentFetch(i, "/v1/health", { signal: AbortSignal.timeout(2_000) }).catch(() => null);
      return res?.status === 200;
    });
  }

  async function startWorker(): Promise<number> {
    if (!existsSync(controlMain)) throw new Error("worker/control/main.ts does not exist yet.");
    const j = nextWorker++;
    const proc = await spawnNode(
      controlScript ? [controlScript] : ["--import", "tsx", "worker/control/main.ts"],
      {
        DATABASE_URL: databaseUrl!,
        REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        SHOAL_CLUSTER_SECRET: clusterSecret,
        SHOAL_CLUSTER_TLS_DIR: testControlTlsDir,
        SHOAL_QUEUE_PREFIX: queuePrefix,
        ...options.workerEnv,
      },
      workerLog(j),
      underSupervisor(`control-${j}`, workerLog(j)),
    );
    workers.set(j, proc);
    return j;
  }

  let stopped = false;
  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    try {
      await teardown();
    } finally {
      await releaseLocks();
    }
  }

  async function teardown(): Promise<void> {
    if (existsSync("/usr/sbin/nft")) await healSplit();
    await Promise.all([...workers.values()].map((w) => stopProc(w)));
    await Promise.all([...agents.values()].map((a) => stopProc(a)));
    const failures: unknown[] = [];
    // One node at a time: destroyNode removes accounts with userdel, which locks /etc/passwd.
    for (const node of nodes) {
      try {
        await destroyNode(node.root);
      } catch (e) {
        failures.push(e);
      }
      // Masters a test left without a valid pid file still hold the node's ports.
      await stopNodeMasters(node.root.root).catch((e: unknown) => failures.push(e));
      await removeUsersUnder(node.root.homeDir);
      await releaseLoopStore(node.root).catch((e: unknown) => failures.push(e));
      await rm(path.dirname(node.root.root), { recursive: true, force: true });
    }
    if (network) await teardownNetns(network).catch((e: unknown) => failures.push(e));
    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${queuePrefix}:*`, "COUNT", 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    } catch (e) {
      failures.push(e);
    } finally {
      redis.disconnect();
    }
    if (process.env.SHOAL_KEEP_CLUSTER_LOGS !== "1") await rm(logDir, { recursive: true, force: true });
    if (failures.length > 0) throw new AggregateError(failures, "The cluster did not tear down cleanly.");
  }

  const cluster: Cluster = {
    nodes,
    clusterSecret,
    queuePrefix,
    databaseUrl,
    world: null,
    agentFetch,
    edgeGet: (ref, host, urlPath = "/") => httpGet(nodeAt(ref).root, host, urlPath),
    async killAgent(i, signal = "SIGKILL") {
      nodeAt(i);
      await stopProc(agents.get(i), signal);
    },
    async restartAgent(i, env) {
      nodeAt(i);
      if (env) agentEnvOf.set(i, { ...agentEnvOf.get(i), ...env });
      await stopProc(agents.get(i), "SIGTERM");
      await startAgent(i);
    },
    async signalNode(i, signal) {
      const node = nodeAt(i);
      const agent = agents.get(i);
      const pids = [...(await nodeProcesses(node.root.root)), ...(agent && running(agent) ? [agent.child.pid!] : [])];
      const signalledAt = Date.now();
      for (const pid of pids) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone already
        }
      }
      if (signal === "SIGKILL") {
        await waitFor(`node ${i}'s processes to die`, async () => (await nodeProcesses(node.root.root)).length === 0 && !running(agents.get(i)), { timeoutMs: 10_000 });
      }
      return signalledAt;
    },
    async partition(i, farSide) {
      const node = nodeAt(i);
      if (network) throw new Error("partition() works on loopback only; in netns mode cut a node off with cutLink().");
      await healSplit();
      const allowed = [node.address, ...farSide].join(", ");
      // Argument arrays, no shell: nft joins its arguments into one command line.
      await runCommand("/usr/sbin/nft", ["add", "table", "inet", splitTable]);
      await runCommand("/usr/sbin/nft", ["add", "chain", "inet", splitTable, "input", "{ type filter hook input priority 0; policy accept; }"]);
      // Loopback connections to a local address come from 127.0.0.1 unless bound, as the node's
      // own PHP does to its MariaDB: that port stays open (no other node uses it).
      await runCommand("/usr/sbin/nft", ["add", "rule", "inet", splitTable, "input", "ip", "daddr", node.address, "tcp", "dport", "!=", String(clusterPorts.mysql), "ip", "saddr", "!=", `{ ${allowed} }`, "drop"]);
    },
    heal: () => healSplit(),
    network,
    async cutLink(i) {
      nodeAt(i);
      if (!network) throw new Error("cutLink() needs startCluster({ netns: true }).");
      return cutLink(network, i);
    },
    async restoreLink(i) {
      nodeAt(i);
      if (!network) throw new Error("restoreLink() needs startCluster({ netns: true }).");
      await restoreLink(network, i);
    },
    async restartNode(i) {
      nodeAt(i);
      // Its agent resumes nginx, php-fpm and MariaDB from the node root (worker/agent/resume.ts).
      await startAgent(i);
    },
    startWorker,
    async killWorker(j, signal = "SIGTERM") {
      const proc = workers.get(j);
      if (!proc) throw new Error(`No worker ${j} in this cluster.`);
      await stopProc(proc, signal);
    },
    waitFor,
    logTail: (kind, index, lines) => tail(kind === "agent" ? agentLog(index) : workerLog(index), lines),
    supervisedPid(kind, index) {
      const proc = (kind === "agent" ? agents : workers).get(index);
      if (!options.supervised || !proc || !running(proc)) return undefined;
      const pid = proc.child.pid!;
      let children = "";
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
      } catch {
        return undefined;
      }
      return children.trim().split(/\s+/).map(Number).find((c) => c > 0);
    },
    stop,
  };

  try {
    await reapLeftovers(network);
    // Netns mode: the blackhole route first, then the bridge and a namespace per node.
    if (network) await setupNetns(network, count);
    for (let i = 1; i <= count; i++) {
      const dir = await mkdtemp("/var/tmp/shoal-cluster-test-");
      // mkdtemp makes it 0700; mysql, www-data and the account users must pass through it.
      await chmod(dir, 0o755);
      await writeFile(ownerFile(dir), JSON.stringify({ ...owner, net: network?.net ?? clusterNet }));
      const name = `node-${i}`;
      const address = network ? network.address(i) : clusterAddress(i);
      nodes.push({
        index: i,
        name,
        address,
        secret: agentSecret(clusterSecret, name),
        root: nodeRoot({
          root: path.join(dir, "node"),
          address,
          httpPort: clusterPorts.http,
          backendPort: clusterPorts.backend,
          holdPort: clusterPorts.hold,
          mysqlPort: clusterPorts.mysql,
          trustedProxies: [network ? network.range : `${clusterNet}.0/24`],
          storage: options.storage ?? "dir",
          // As the agent is told (NODE_PRIVATE_PATHS below), so that what a test starts as a
          // customer (tests/helpers/customer-code.ts) is confined exactly like the agent's own.
          privatePaths: [path.resolve("var")],
        }),
        ...(network ? { netns: network.namespace(i) } : {}),
      });
      await ensureTestNodeTlsFiles(nodes.at(-1)!.root, name);
    }
    await Promise.all(nodes.map((n) => startAgent(n.index)));

    const { db } = await import("../../server/db");
    await registerNodes(
      db,
      nodes.map((n) => ({ name: n.name, address: n.address, agentPort: clusterPorts.agent, httpPort: clusterPorts.http, backendPort: clusterPorts.backend, sftpPort: clusterPorts.sftp })),
    );
    if (options.seed !== false) cluster.world = await (await import("../helpers/fixtures")).makeWorld();

    const workerCount = options.workers ?? (existsSync(controlMain) ? 1 : 0);
    for (let j = 0; j < workerCount; j++) await startWorker();
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return cluster;
}
