import { spawn } from "node:child_process";
import http from "node:http";
import https from "node:https";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { Agent, fetch as undiciFetch } from "undici";
import { signedHeaders } from "../server/contract/agent-signature";
import { agentTransport, agentUrl, controlTlsDir, controlTransport, type AgentFetch } from "../server/contract/agent-transport";
import { readTlsIdentity } from "../server/contract/cluster-tls";
import { controlPlanePeer, signedRequestAuth } from "../worker/agent/auth";
import { startAgentServer } from "../worker/agent/server";
import { destroyNode, makeNode } from "../tests/integration/agent/node-harness";
import { ensureTestTls, testNodeTls } from "../tests/helpers/cluster-tls";

// What mutual TLS costs an agent call: signed GET /v1/health, side by side in one run, alternating
// over rounds so that drift on the machine hits every transport alike:
//   http           the signed call over plain HTTP, kept alive (the transport before TLS);
//   https          the same handler over HTTPS with the control plane's client certificate,
//                  checked per request as the agent checks it, kept alive (controlTransport());
//   https, new     the same, a new TLS connection (full handshake) for every call;
//   agent          the real agent (worker/agent/server.ts) over HTTPS, kept alive.
// The three stand-ins answer as /v1/health does after the same checks (signature; and for HTTPS
// the client certificate's role), so the difference between http and https is the transport.
// Servers run in a child process (as an agent is a process of its own), the client here.
//
// Run: npx tsx bench/agent-tls.ts (as root: the agent needs a node root). About a minute.

const rounds = Number(process.env.TLS_BENCH_ROUNDS ?? 5);
const perRound = Number(process.env.TLS_BENCH_CALLS ?? 400);
const concurrency = Number(process.env.TLS_BENCH_CONCURRENCY ?? 8);
const address = "127.0.57.1";
const ports = { http: 17571, https: 17572, agent: 17573 };
const secret = "agent-tls-bench-secret-0123456789abcdef";
const health = JSON.stringify({ ok: true, version: "0.0.0", uptime: 1 });

/** The child: the stand-ins and a real agent, until stdin closes. */
async function serve(): Promise<void> {
  const node = await makeNode(address, 18571, 13571, { backendPort: 18572, holdPort: 18573 });
  const tls = await testNodeTls(node);
  const authorised = signedRequestAuth(secret);
  const peer = controlPlanePeer();
  const answer = (withTls: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    if ((withTls && peer(req) !== null) || !authorised(req)) return void res.writeHead(401).end();
    res.writeHead(200, { "content-type": "application/json" }).end(health);
  };
  const plain = http.createServer(answer(false));
  const secure = https.createServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.3" }, answer(true));
  await Promise.all([new Promise<void>((r) => plain.listen(ports.http, address, r)), new Promise<void>((r) => secure.listen(ports.https, address, r))]);
  const agent = await startAgentServer({ host: address, port: ports.agent, secret, nodeRoot: node, tls });
  // Connections opened: a kept-alive client opens few, the "new connection" one one per call.
  const opened = { http: 0, https: 0 };
  plain.on("connection", () => opened.http++);
  secure.on("secureConnection", () => opened.https++);
  console.log("ready");
  await new Promise<void>((resolve) => process.stdin.on("close", resolve).resume());
  console.log(`connections opened: http ${opened.http}, https ${opened.https}`);
  plain.close();
  secure.close();
  await agent.close();
  await destroyNode(node);
}

type Figures = { latencies: number[]; sequentialMs: number; concurrentCalls: number; concurrentMs: number };

async function oneCall(f: AgentFetch, origin: { address: string; port: number }): Promise<void> {
  const res = await f(agentUrl(origin, "/v1/health"), { headers: signedHeaders(secret, "GET", "/v1/health") });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET /v1/health on :${origin.port} answered ${res.status}`);
}

/** `perRound` calls one after another, then `perRound` more `concurrency` at a time. */
async function measure(call: () => Promise<void>, into: Figures): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < perRound; i++) {
    const t = performance.now();
    await call();
    into.latencies.push(performance.now() - t);
  }
  into.sequentialMs += performance.now() - started;
  const t = performance.now();
  let left = perRound;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await call();
    }),
  );
  into.concurrentMs += performance.now() - t;
  into.concurrentCalls += perRound;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  await ensureTestTls();
  const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, "serve"], { stdio: ["pipe", "pipe", "inherit"], env: process.env });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => (line === "ready" ? resolve() : console.log(`[server] ${line}`)));
    child.once("exit", (code) => reject(new Error(`the servers exited (${code})`)));
  });
  try {
    await ready;
    const plainDispatcher = new Agent();
    const plainFetch: AgentFetch = (url, init = {}) => undiciFetch(url.replace(/^https:/, "http:"), { ...init, dispatcher: plainDispatcher });
    const identity = readTlsIdentity(controlTlsDir());
    const variants: [string, () => Promise<void>][] = [
      ["http, kept alive", () => oneCall(plainFetch, { address, port: ports.http })],
      ["https, kept alive", () => oneCall(controlTransport().fetch, { address, port: ports.https })],
      [
        "https, new connection each call",
        async () => {
          const fresh = agentTransport(identity);
          try {
            await oneCall(fresh.fetch, { address, port: ports.https });
          } finally {
            await fresh.close();
          }
        },
      ],
      ["agent (https), kept alive", () => oneCall(controlTransport().fetch, { address, port: ports.agent })],
    ];
    const figures = new Map(variants.map(([name]) => [name, { latencies: [], sequentialMs: 0, concurrentCalls: 0, concurrentMs: 0 }]));
    // Warm-up: connections, JIT, the agent's first sample.
    for (const [, call] of variants) for (let i = 0; i < 50; i++) await call();
    for (let r = 0; r < rounds; r++) {
      // Each round starts with another variant, so none always runs first.
      for (let k = 0; k < variants.length; k++) {
        const [name, call] = variants[(r + k) % variants.length]!;
        await measure(call, figures.get(name)!);
      }
    }
    await plainDispatcher.close();
    await controlTransport().close();
    const load = (await import("node:os")).loadavg().map((v) => v.toFixed(2)).join(" ");
    console.log(`signed GET /v1/health, ${rounds} rounds x ${perRound} calls one at a time + ${perRound} at concurrency ${concurrency}, alternating; load average ${load}`);
    const rows = [...figures].map(([name, f]) => {
      const sorted = [...f.latencies].sort((a, b) => a - b);
      return { name, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), seq: (f.latencies.length / f.sequentialMs) * 1000, conc: (f.concurrentCalls / f.concurrentMs) * 1000 };
    });
    for (const r of rows) {
      console.log(`  ${r.name.padEnd(34)} p50 ${r.p50.toFixed(3)} ms   p99 ${r.p99.toFixed(3)} ms   ${r.seq.toFixed(0).padStart(5)} calls/s one at a time   ${r.conc.toFixed(0).padStart(5)} calls/s at ${concurrency}`);
    }
    const [plain, secure] = rows;
    console.log(`https / http, kept alive: p50 x${(secure!.p50 / plain!.p50).toFixed(2)}, calls/s one at a time x${(secure!.seq / plain!.seq).toFixed(2)}, at ${concurrency} x${(secure!.conc / plain!.conc).toFixed(2)}`);
  } finally {
    child.stdin.end();
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
  }
}

if (process.argv[2] === "serve") {
  await serve();
} else {
  await main();
}
