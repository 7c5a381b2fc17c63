import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentNodeFlags, buildAgent } from "../../../scripts/cluster/build-agent";
import { waitFor } from "../../../worker/agent/wait-for";
import { agentUrl, controlTransport } from "../../../server/contract/agent-transport";
import { ensureTestNodeTlsFiles } from "../../helpers/cluster-tls";

// scripts/supervise.sh, the supervisor of every process `npm start` runs, with small child
// programs: a child killed with -9 is back within a second and the restart is said on the
// supervisor's output and in the child's log; a child that keeps failing waits 0.5 s, 1 s, 2 s...
// and 0.5 s again after a run that lasted; SIGTERM stops the child's whole group and then the
// supervisor, at once even during a pause, and a child that ignores SIGTERM is killed after the grace.
// Then a real agent (the bundle npm start runs, on a node root of its own) killed with -9.

const script = path.resolve("scripts/supervise.sh");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "shoal-supervise-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A child program: appends "start <pid>" to `runs`, then behaves as `plan` says for its run
 * number (1-based): "stay" runs until SIGTERM (which it answers by exiting 0, its own child
 * `sleep` with it), "exit" exits 3 at once, "linger" exits 3 after 1.2 s, "deaf" ignores SIGTERM.
 */
async function childProgram(name: string, plan: string[]): Promise<{ file: string; runs: string }> {
  const file = path.join(dir, `${name}.cjs`);
  const runs = path.join(dir, `${name}.runs`);
  await writeFile(
    file,
    `const fs = require("node:fs");
const { spawn } = require("node:child_process");
fs.appendFileSync(${JSON.stringify(runs)}, "start " + process.pid + "\\n");
const run = fs.readFileSync(${JSON.stringify(runs)}, "utf8").trim().split("\\n").length;
const plan = ${JSON.stringify(plan)};
const mode = plan[Math.min(run, plan.length) - 1];
if (mode === "exit") process.exit(3);
if (mode === "linger") setTimeout(() => process.exit(3), 1200);
// A grandchild in the same process group, which must go with the child.
const sleeper = spawn("sleep", ["300"], { stdio: "ignore" });
fs.appendFileSync(${JSON.stringify(runs)}, "sleeper " + sleeper.pid + "\\n");
process.on("SIGTERM", () => { if (mode !== "deaf") { console.log("child got SIGTERM"); process.exit(0); } });
setInterval(() => {}, 1000);
`,
  );
  return { file, runs };
}

type Supervised = { proc: ChildProcess; out: () => string; log: string; exited: Promise<number | null> };

function supervise(name: string, program: string | string[], env: Record<string, string> = {}): Supervised {
  const log = path.join(dir, `${name}.log`);
  // detached: its own process group, as scripts/cluster.sh starts it with setsid.
  const proc = spawn("bash", [script, name, log, process.execPath, ...[program].flat()], { env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, out: () => out, log, exited };
}

const pidsOf = async (runs: string, what: "start" | "sleeper") =>
  (await readFile(runs, "utf8").catch(() => "")).split("\n").filter((l) => l.startsWith(`${what} `)).map((l) => Number(l.split(" ")[1]));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("scripts/supervise.sh", () => {
  it("restarts a child killed with -9 within 5 s (0.5 s pause), and says so on its output and in the log", async () => {
    const child = await childProgram("killed", ["stay"]);
    const s = supervise("control-2", child.file);
    try {
      const [first] = await waitFor("the first child", async () => ((await pidsOf(child.runs, "start")).length === 1 ? pidsOf(child.runs, "start") : false));
      const [firstSleeper] = await waitFor("its sleeper", async () => ((await pidsOf(child.runs, "sleeper")).length === 1 ? pidsOf(child.runs, "sleeper") : false));
      const killedAt = Date.now();
      process.kill(first!, "SIGKILL");
      const second = await waitFor("the replacement", async () => (await pidsOf(child.runs, "start"))[1] ?? false, { timeoutMs: 10_000, intervalMs: 20 });
      const healMs = Date.now() - killedAt;
      console.log(`supervise.sh: a child killed with -9 was running again after ${healMs} ms`);
      expect(healMs).toBeLessThan(5_000);
      expect(alive(second)).toBe(true);
      // The killed child's group went with it.
      await waitFor("the killed child's sleeper to be gone", () => !alive(firstSleeper!), { timeoutMs: 2_000 });
      expect(s.out()).toMatch(/control-2 exited \(signal SIGKILL\); restarting in 0\.5 s/);
      expect(s.out()).toMatch(new RegExp(`control-2 is running again \\(pid ${second}\\)`));
      expect(await readFile(s.log, "utf8")).toMatch(/control-2 exited \(signal SIGKILL\); restarting in 0\.5 s/);
    } finally {
      process.kill(-s.proc.pid!, "SIGTERM");
      expect(await s.exited).toBe(0);
    }
  });

  it("doubles the pause while the child keeps failing, and starts again from 0.5 s after a run that lasted", async () => {
    const child = await childProgram("failing", ["exit", "exit", "exit", "linger", "stay"]);
    // A run "lasts" after 1 s here instead of 30 s.
    const s = supervise("node-3", child.file, { SHOAL_SUPERVISE_STABLE_MS: "1000" });
    try {
      await waitFor("the fifth run", async () => (await pidsOf(child.runs, "start")).length >= 5, { timeoutMs: 15_000 });
      const pauses = [...s.out().matchAll(/node-3 exited \((.*?)\); restarting in (\S+ s)/g)].map((m) => `${m[1]}: ${m[2]}`);
      expect(pauses).toEqual(["code 3: 0.5 s", "code 3: 1 s", "code 3: 2 s", "code 3: 0.5 s"]);
    } finally {
      process.kill(-s.proc.pid!, "SIGTERM");
      await s.exited;
    }
  });

  it("stops on SIGTERM: the child's group gets SIGTERM, then the supervisor exits 0 and nothing is left", async () => {
    const child = await childProgram("stopped", ["stay"]);
    const s = supervise("node-1", child.file);
    const [pid] = await waitFor("the child", async () => ((await pidsOf(child.runs, "sleeper")).length === 1 ? pidsOf(child.runs, "start") : false));
    const [sleeper] = await pidsOf(child.runs, "sleeper");
    process.kill(-s.proc.pid!, "SIGTERM");
    expect(await s.exited).toBe(0);
    expect(await readFile(s.log, "utf8")).toContain("child got SIGTERM");
    expect(alive(pid!)).toBe(false);
    await waitFor("the sleeper to be gone", () => !alive(sleeper!), { timeoutMs: 2_000 });
    expect(await pidsOf(child.runs, "start")).toHaveLength(1);
  });

  it("stops at once during a pause, starting nothing more", async () => {
    const child = await childProgram("pausing", ["exit", "stay"]);
    // Pauses of 5 s, so the stop surely lands in one.
    const s = supervise("control-1", child.file, { SHOAL_SUPERVISE_FIRST_MS: "5000" });
    await waitFor("the pause", () => /restarting in 5 s/.test(s.out()));
    const stoppedAt = Date.now();
    process.kill(-s.proc.pid!, "SIGTERM");
    expect(await s.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    expect(await pidsOf(child.runs, "start")).toHaveLength(1);
  });

  it("kills a child that ignores SIGTERM once the grace is over", async () => {
    const child = await childProgram("deaf", ["deaf"]);
    const s = supervise("panel", child.file, { SHOAL_SUPERVISE_GRACE: "1" });
    const [pid] = await waitFor("the child", async () => ((await pidsOf(child.runs, "sleeper")).length === 1 ? pidsOf(child.runs, "start") : false));
    const stoppedAt = Date.now();
    process.kill(-s.proc.pid!, "SIGTERM");
    expect(await s.exited).toBe(0);
    const tookMs = Date.now() - stoppedAt;
    expect(tookMs).toBeGreaterThanOrEqual(1_000);
    expect(tookMs).toBeLessThan(3_000);
    expect(alive(pid!)).toBe(false);
    expect(s.out()).toMatch(/panel did not stop within 1 s of SIGTERM; killing it/);
  });

  it("brings a real agent killed with -9 back: answering again within 5 s", async () => {
    const bundle = await buildAgent();
    // Under /var/tmp, like every node root of the tests (node-root.ts says why not /tmp).
    const nodeDir = await mkdtemp("/var/tmp/shoal-supervise-agent-");
    const address = "127.0.44.9";
    const port = 17_449;
    // The agent serves its API over TLS only: its node certificate where it reads it (NODE_ROOT/tls).
    await ensureTestNodeTlsFiles({ address, tlsDir: path.join(nodeDir, "node", "tls") });
    const s = supervise("node-9", [...agentNodeFlags, bundle], {
      AGENT_HOST: address,
      AGENT_PORT: String(port),
      AGENT_SECRET: "supervise-test-secret-0123456789abcdef",
      NODE_ROOT: path.join(nodeDir, "node"),
      NODE_HTTP_PORT: "18449",
      NODE_BACKEND_PORT: "18450",
      NODE_HOLD_PORT: "18451",
      NODE_MYSQL_PORT: "13449",
      NODE_STORAGE: "dir",
    });
    // Any answer means it listens (an unsigned call is refused with 401).
    const answers = () =>
      controlTransport()
        .fetch(agentUrl({ address, port }, "/v1/health"), { signal: AbortSignal.timeout(1_000) })
        .then((r) => r.status > 0, () => false);
    // The supervisor's child: the agent (bash started it through setsid, which execs it).
    const agentPid = () => {
      let children = "";
      try {
        children = readFileSync(`/proc/${s.proc.pid}/task/${s.proc.pid}/children`, "utf8");
      } catch {
        // the supervisor is gone
      }
      return children.trim().split(/\s+/).map(Number).find((pid) => pid > 0 && alive(pid));
    };
    try {
      await waitFor("the agent to answer", answers, { timeoutMs: 30_000 });
      const first = agentPid()!;
      const killedAt = Date.now();
      process.kill(first, "SIGKILL");
      await waitFor("the agent to be gone", async () => !(await answers()), { timeoutMs: 5_000, intervalMs: 20 });
      await waitFor("the agent to answer again", answers, { timeoutMs: 10_000, intervalMs: 20 });
      const healMs = Date.now() - killedAt;
      console.log(`supervise.sh: an agent killed with -9 was answering again after ${healMs} ms`);
      expect(healMs).toBeLessThan(5_000);
      expect(agentPid()).not.toBe(first);
      expect(s.out()).toMatch(/node-9 exited \(signal SIGKILL\); restarting in 0\.5 s/);
    } finally {
      process.kill(-s.proc.pid!, "SIGTERM");
      expect(await s.exited).toBe(0);
      await rm(nodeDir, { recursive: true, force: true });
    }
  });
});
