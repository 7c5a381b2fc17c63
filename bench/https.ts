import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { converge } from "../worker/agent/converge";
import { runningPid, stopDaemon } from "../worker/agent/daemon";
import type { NodeRoot } from "../worker/agent/node-root";
import { runCommand } from "../worker/agent/run-command";
import { startEdge, type Edge } from "../worker/edge/edge-routes";
import { intermediateCiphers } from "../worker/edge/render-tls";
import { destroyNode, makeNode, uniqueUsername } from "../tests/integration/agent/node-harness";
import { acmeDnsServer, startStandInDns, startTestPebble } from "../tests/helpers/acme";
import { median, type WrkFigures } from "./lib/wrk";
import { BENCH_AUTH_SECRET, benchServerUrl } from "./bench-env";

// HTTPS on the front doors, side by side in one run:
//   1. domain added → certificate live on all edges: a Certificate row for a new site's domain,
//      ordered from Pebble by the control plane's runner (DNS check, order, HTTP-01 answered by the
//      edges through the node spec, validate, finalize, every edge serving it), p50 over N domains.
//      Target ≤ 10 s. The control workers' schedule tick (2 s) comes on top in the cluster.
//   2. TLS requests/s and p50 through node B's front door (TLS at B, hop to A's backend) vs a plain
//      nginx TLS termination (same certificate, same ciphers, one keepalive upstream) proxying to
//      the same backend, interleaved over rounds. Target ≥ 0.8×.
// Pebble resolves names through the DNS stand-in of tests/helpers/acme.ts (see acmeDnsServer).
//
// Run: npx tsx bench/https.ts (wrk from Debian: apt-get install -y wrk). About 60 s.

const domains = Number(process.env.HTTPS_BENCH_DOMAINS ?? 5);
const rounds = Number(process.env.HTTPS_BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.HTTPS_BENCH_SECONDS ?? 5);
const connections = Number(process.env.HTTPS_BENCH_CONNECTIONS ?? 32);
const host = "bench-tls.test";
const proxy = { address: "127.0.62.103", port: 18771 };
const secret = "bench-cluster-secret-bench-cluster-secret-0123";
const database = "shoal_bench_https";

/** wrk against `address:port` with SNI and Host `host` (its Lua resolve hook dials the address). */
async function wrkTls(address: string, port: number, dir: string): Promise<WrkFigures> {
  const script = path.join(dir, `dial-${address}-${port}.lua`);
  await writeFile(script, `wrk.resolve = function(host, service) wrk.addrs = wrk.lookup("${address}", "${port}") end\n`);
  const { stdout } = await runCommand("/usr/bin/wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, `https://${host}:${port}/hello.html`], {
    timeoutMs: (seconds + 30) * 1000,
  });
  const rps = /Requests\/sec:\s+([0-9.]+)/.exec(stdout)?.[1];
  const p50 = /^\s+50%\s+([0-9.]+)(us|ms|s)$/m.exec(stdout);
  if (!rps || !p50) throw new Error(`Unreadable wrk output:\n${stdout}`);
  if (/Non-2xx or 3xx responses/.test(stdout)) throw new Error(`Errors through ${address}:${port}:\n${stdout}`);
  const value = Number(p50[1]);
  return { rps: Number(rps), p50: p50[2] === "us" ? value : p50[2] === "ms" ? value * 1000 : value * 1e6, p99: 0 };
}

function plainTlsProxyConf(dir: string, backend: string): string {
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
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${intermediateCiphers};
    ssl_session_cache shared:bench:10m;
    upstream backend {
        server ${backend};
        keepalive 32;
    }
    server {
        listen ${proxy.address}:${proxy.port} ssl http2;
        server_name ${host};
        ssl_certificate ${dir}/cert.pem;
        ssl_certificate_key ${dir}/key.pem;
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

async function makeDatabase(): Promise<string> {
  const server = benchServerUrl();
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const url = `${server}/${database}`;
  // runCommand passes this process's environment on: the CLI reads DATABASE_URL from it.
  process.env.DATABASE_URL = url;
  await runCommand(process.execPath, ["--require", "./scripts/unref-timers.cjs", "node_modules/prisma/build/index.js", "migrate", "deploy"], { timeoutMs: 180_000 });
  return url;
}

async function main(): Promise<void> {
  if (!existsSync("/usr/bin/wrk")) throw new Error("wrk is missing: apt-get install -y wrk.");
  process.env.DATABASE_URL = await makeDatabase();
  process.env.SHOAL_CLUSTER_SECRET = secret;
  process.env.AUTH_SECRET ??= BENCH_AUTH_SECRET;
  const { db } = await import("../server/db");
  const { issueCertificate } = await import("../worker/control/acme/issue-certificate");
  const { tlsSpec } = await import("../worker/control/build-node-spec");
  const { openPrivateKey } = await import("../server/services/certificate/certificate-key-box");

  const username = uniqueUsername("benchtls");
  const nodes: NodeRoot[] = [];
  const edges: Edge[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let proxyDir: string | null = null;
  const cleanup = async () => {
    await Promise.allSettled(edges.map((e) => e.close()));
    if (proxyDir) {
      const pid = await runningPid(path.join(proxyDir, "nginx.pid"), path.join(proxyDir, "nginx.conf"));
      if (pid) await stopDaemon(pid, "SIGQUIT", "the bench's TLS proxy nginx");
      await rm(proxyDir, { recursive: true, force: true });
    }
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await Promise.allSettled(nodes.map((n) => destroyNode(n)));
    await db.$disconnect();
  };
  try {
    const a = await makeNode("127.0.62.101", 18751, 13751, { backendPort: 18752, holdPort: 18753, httpsPort: 18754 });
    nodes.push(a);
    const b = await makeNode("127.0.62.102", 18761, 13761, { backendPort: 18762, holdPort: 18763, httpsPort: 18764 });
    nodes.push(b);
    const all = [...Array(domains).keys()].map((i) => `cert${i}.${host}`);
    const site = { id: "site1", accountId: "acc1", domains: [host], documentRoot: "public", phpSettings: {}, status: "ACTIVE" as const };
    const baseSpec = { accounts: [{ id: "acc1", username, status: "ACTIVE" as const }], sites: [site], databases: [] };
    const failed = (await converge(a, baseSpec)).filter((r) => !r.ok);
    if (failed.length) throw new Error(`Converge of node A failed: ${JSON.stringify(failed)}`);
    await converge(b, { accounts: [], sites: [], databases: [] });
    await writeFile(
      path.join(a.siteDir(username, "site1"), "public", "hello.html"),
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>\n<body><h1>Hello</h1><p>${"A small static page. ".repeat(20)}</p></body></html>\n`,
    );
    const routes = {
      routes: [
        { siteId: "site1", domains: [host], target: { address: a.address, port: a.backendPort }, epoch: 1, paused: false },
        ...all.map((d, i) => ({ siteId: `site${i + 2}`, domains: [d], target: { address: a.address, port: a.backendPort }, epoch: 1, paused: false })),
      ],
    };
    for (const node of [a, b]) {
      const edge = await startEdge(node);
      edges.push(edge);
      await edge.put(routes);
    }

    const dns = await startStandInDns("127.0.62.53", 18753 + 100, a.address);
    cleanups.push(() => dns.stop());
    const pebble = await startTestPebble({ dns, httpPort: a.httpPort, listen: { address: "127.0.62.54", port: 18740 } });
    cleanups.push(() => pebble.cleanup());
    // Pebble fetches HTTP-01 from httpPort of the name's address: both nodes share it here only
    // because the stand-in answers with node A; B answers the same token all the same (checked).

    // Fixture rows: one reseller, customer, account; a site per domain.
    const platform = await db.reseller.create({ data: { id: "pbench", name: "Shoal", isPlatform: true, path: "/pbench/", brand: { create: { displayName: "Shoal" } } } });
    const plan = await db.plan.create({ data: { resellerId: platform.id, name: "Basic", maxSites: 50, diskMb: 10_000, maxDatabases: 5, maxMailboxes: 10, trafficGbMonth: 100 } });
    const customer = await db.customer.create({ data: { resellerId: platform.id, name: "Bench", email: "bench@example.test", accounts: { create: { planId: plan.id, username: "benchtls" } } }, include: { accounts: true } });
    const accountId = customer.accounts[0]!.id;
    for (const node of [a, b]) {
      await db.node.create({ data: { name: `bench-${node.address}`, address: node.address, httpPort: node.httpPort, httpsPort: node.httpsPort, backendPort: node.backendPort, status: "HEALTHY" } });
    }
    const publish = async () => {
      const tls = await tlsSpec(db, secret);
      await Promise.all([converge(a, { ...baseSpec, tls }), converge(b, { accounts: [], sites: [], databases: [], tls })]);
    };
    const ctx = { db, clusterSecret: secret, directoryUrl: pebble.directoryUrl, dnsServer: acmeDnsServer(dns), publish };

    const live: number[] = [];
    for (const name of all.concat(host)) {
      const started = performance.now();
      const domain = await db.domain.create({ data: { accountId, name, displayName: name } });
      const siteRow = await db.site.create({ data: { accountId, domainId: domain.id } });
      const cert = await db.certificate.create({ data: { siteId: siteRow.id, domains: [name], nextAttemptAt: new Date() } });
      const outcome = await issueCertificate(ctx, cert.id);
      if (outcome.status !== "ISSUED") throw new Error(`${name}: ${outcome.message}`);
      const op = await db.operation.findFirstOrThrow({ where: { targetId: siteRow.id }, include: { steps: true } });
      if (op.steps.some((s) => s.status !== "SUCCEEDED")) throw new Error(`${name}: not live on every edge: ${JSON.stringify(op.steps)}`);
      if (name !== host) live.push(performance.now() - started);
    }

    // The plain TLS termination, with the very certificate the front doors serve for `host`.
    const row = await db.certificate.findFirstOrThrow({ where: { domains: { has: host } } });
    proxyDir = await mkdtemp("/var/tmp/shoal-https-bench-proxy-");
    for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) await mkdir(path.join(proxyDir, sub));
    await writeFile(path.join(proxyDir, "cert.pem"), row.chainPem!);
    await writeFile(path.join(proxyDir, "key.pem"), openPrivateKey(secret, row.id, row.keyEncrypted!), { mode: 0o600 });
    const proxyConf = path.join(proxyDir, "nginx.conf");
    await writeFile(proxyConf, plainTlsProxyConf(proxyDir, `${a.address}:${a.backendPort}`));
    await runCommand("/usr/sbin/nginx", ["-c", proxyConf]);

    const plain: WrkFigures[] = [];
    const frontDoor: WrkFigures[] = [];
    for (let r = 0; r < rounds; r++) {
      plain.push(await wrkTls(proxy.address, proxy.port, proxyDir));
      frontDoor.push(await wrkTls(b.address, b.httpsPort, proxyDir));
    }
    const sorted = [...live].sort((x, y) => x - y);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const rps = (f: WrkFigures[]) => median(f.map((x) => x.rps));
    const p50 = (f: WrkFigures[]) => median(f.map((x) => x.p50));
    console.log(`bench/https.ts  ${new Date().toISOString()}  (${domains} domains; wrk ${rounds}×${seconds}s, ${connections} connections, TLS, HTTP/1.1 keep-alive)`);
    console.log(`domain added → certificate live on all edges (2 nodes): p50 ${(p(0.5) / 1000).toFixed(2)} s, max ${(p(1) / 1000).toFixed(2)} s  [target p50 ≤ 10 s]`);
    console.log(`  each: ${live.map((ms) => (ms / 1000).toFixed(2)).join(" s, ")} s`);
    console.log(`plain nginx TLS termination → A's backend:  ${rps(plain).toFixed(0)} req/s, p50 ${p50(plain).toFixed(0)} µs`);
    console.log(`node B front door (TLS) → A's backend:       ${rps(frontDoor).toFixed(0)} req/s, p50 ${p50(frontDoor).toFixed(0)} µs`);
    console.log(`ratio front door / plain: ${(rps(frontDoor) / rps(plain)).toFixed(2)}×  [target ≥ 0.8×]; added p50 vs plain: ${(p50(frontDoor) - p50(plain)).toFixed(0)} µs`);
    console.log(`  rounds plain: ${plain.map((f) => f.rps.toFixed(0)).join(", ")}; front door: ${frontDoor.map((f) => f.rps.toFixed(0)).join(", ")}`);
  } finally {
    await cleanup();
    const admin = new pg.Client({ connectionString: `${benchServerUrl()}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
