import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { converge } from "../worker/agent/converge";
import { runningPid, stopDaemon } from "../worker/agent/daemon";
import type { NodeRoot } from "../worker/agent/node-root";
import { runCommand } from "../worker/agent/run-command";
import { median, wrk as wrkRun, type WrkFigures } from "./lib/wrk";
import { waitFor } from "../worker/agent/wait-for";
import { startEdge, type Edge } from "../worker/edge/edge-routes";
import { destroyNode, httpGet, makeNode, uniqueUsername } from "../tests/integration/agent/node-harness";

// What the front door's hop costs. Two nodes on loopback (real nginx, the node's own configs), a
// small static page on node A, and wrk against it four ways, interleaved over several rounds so
// that drift on the machine hits every case alike:
//   (a) A's backend port directly (nginx serving the file);
//   (b) a plain nginx proxy hop (a separate minimal nginx, one keepalive upstream) to A's backend;
//   (c) A's front door to its own backend;
//   (d) B's front door, hopping to A's backend.
// Target: (c) and (d) at least 0.8 of (b)'s requests per second.
//
// Run: bash bench/edge.sh (installs wrk if missing), or npx tsx bench/edge.ts. About 90 s.

const rounds = Number(process.env.EDGE_BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.EDGE_BENCH_SECONDS ?? 5);
const connections = Number(process.env.EDGE_BENCH_CONNECTIONS ?? 32);
const host = "bench.example.test";
const proxyAddress = "127.0.20.103";
const proxyPort = 18271;

type Figures = WrkFigures;
const wrk = (url: string) => wrkRun(url, { host, connections, seconds });

/** The plain hop (b): the least an nginx proxy in front of the backend can cost. */
function plainProxyConf(dir: string, backend: string): string {
  // As many workers as the node's nginx (auto), so the comparison is of the hop, not of the cores.
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log combined buffer=32k flush=1s;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    upstream backend {
        server ${backend};
        keepalive 32;
    }
    server {
        listen ${proxyAddress}:${proxyPort};
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_pass http://backend;
        }
    }
}
`;
}

async function main(): Promise<void> {
  if (!existsSync("/usr/bin/wrk")) throw new Error("wrk is missing: run bash bench/edge.sh, or apt-get install -y wrk.");
  const username = uniqueUsername("bench");
  const nodes: NodeRoot[] = [];
  const edges: Edge[] = [];
  let proxyDir: string | null = null;
  const cleanup = async () => {
    await Promise.allSettled(edges.map((e) => e.close()));
    if (proxyDir) {
      const pid = await runningPid(path.join(proxyDir, "nginx.pid"), path.join(proxyDir, "nginx.conf"));
      if (pid) await stopDaemon(pid, "SIGQUIT", "the bench's proxy nginx");
      await rm(proxyDir, { recursive: true, force: true });
    }
    await Promise.allSettled(nodes.map((n) => destroyNode(n)));
  };
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error("Interrupted: cleaning up.");
    void cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const a = await makeNode("127.0.20.101", 18251, 13251, { backendPort: 18252, holdPort: 18253 });
    nodes.push(a);
    const b = await makeNode("127.0.20.102", 18261, 13261, { backendPort: 18262, holdPort: 18263 });
    nodes.push(b);
    const results = await converge(a, {
      accounts: [{ id: "acc1", username, status: "ACTIVE" }],
      sites: [{ id: "site1", accountId: "acc1", domains: [host], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
      databases: [],
    });
    const failed = results.filter((r) => !r.ok);
    if (failed.length) throw new Error(`Converge of node A failed: ${JSON.stringify(failed)}`);
    await converge(b, { accounts: [], sites: [], databases: [] });
    await writeFile(
      path.join(a.siteDir(username, "site1"), "public", "hello.html"),
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>\n<body><h1>Hello</h1><p>${"A small static page. ".repeat(20)}</p></body></html>\n`,
    );

    const routes = { routes: [{ siteId: "site1", domains: [host], target: { address: a.address, port: a.backendPort }, epoch: 1, paused: false }] };
    for (const node of [a, b]) {
      const edge = await startEdge(node);
      edges.push(edge);
      const put = await edge.put(routes);
      if (!put.ok) throw new Error(`Routes refused on ${node.address}: ${JSON.stringify(put)}`);
    }

    proxyDir = await mkdtemp("/var/tmp/shoal-edge-bench-proxy-");
    for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) await mkdir(path.join(proxyDir, sub));
    const proxyConf = path.join(proxyDir, "nginx.conf");
    await writeFile(proxyConf, plainProxyConf(proxyDir, `${a.address}:${a.backendPort}`));
    await runCommand("/usr/sbin/nginx", ["-c", proxyConf]);
    const dir = proxyDir;
    await waitFor("the bench's proxy nginx", () => runningPid(path.join(dir, "nginx.pid"), proxyConf));

    const cases = [
      { key: "a", label: "(a) nginx direct (backend port)", address: a.address, port: a.backendPort },
      { key: "b", label: "(b) plain nginx proxy hop", address: proxyAddress, port: proxyPort },
      { key: "c", label: "(c) front door, local backend", address: a.address, port: a.httpPort },
      { key: "d", label: "(d) front door on B, hop to A", address: b.address, port: b.httpPort },
    ] as const;
    for (const c of cases) {
      const res = await httpGet({ address: c.address, httpPort: c.port }, host, "/hello.html");
      if (res.status !== 200 || !res.body.includes("<h1>Hello</h1>")) throw new Error(`${c.label}: got ${res.status}`);
    }

    const samples = new Map<string, Figures[]>(cases.map((c) => [c.key, []]));
    console.log(`wrk -t2 -c${connections} -d${seconds}s, ${rounds} rounds interleaved, GET /hello.html (${host})`);
    for (let round = 1; round <= rounds; round++) {
      for (const c of cases) {
        const figures = await wrk(`http://${c.address}:${c.port}/hello.html`);
        samples.get(c.key)!.push(figures);
        console.log(`  round ${round} ${c.label}: ${Math.round(figures.rps)} req/s, p50 ${figures.p50} us, p99 ${figures.p99} us`);
      }
    }

    const med = new Map(
      cases.map((c) => {
        const s = samples.get(c.key)!;
        return [c.key, { rps: median(s.map((x) => x.rps)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)) }];
      }),
    );
    console.log("\nmedians");
    console.log("case                                  req/s     p50 (us)  p99 (us)");
    for (const c of cases) {
      const m = med.get(c.key)!;
      console.log(`${c.label.padEnd(36)} ${String(Math.round(m.rps)).padStart(7)} ${m.p50.toFixed(0).padStart(12)} ${m.p99.toFixed(0).padStart(9)}`);
    }
    const base = med.get("b")!.rps;
    for (const key of ["c", "d"] as const) {
      const ratio = med.get(key)!.rps / base;
      console.log(`ratio (${key})/(b) = ${ratio.toFixed(2)} (target >= 0.80: ${ratio >= 0.8 ? "met" : "NOT met"})`);
    }
    const log = await readFile(a.edgeAccessLog, "utf8").catch(() => "");
    console.log(`front-door access log on A: ${log.split("\n").filter(Boolean).length} lines (shoal_edge format)`);
  } finally {
    if (!interrupted) await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
