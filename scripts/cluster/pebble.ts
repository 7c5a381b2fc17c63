// A local ACME server for tests and `npm start`: Debian's `pebble` (it ships no config and no
// certificate, so both are written here). Nothing in tests or `npm start` contacts a public CA.
//
//   node --import tsx scripts/cluster/pebble.ts <dir> <dnsServer> <httpPort>
// starts one in the background for the local cluster and prints its directory URL; the root CA
// it issues from is written to <dir>/root.pem after every start (Pebble makes a new root each time).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export type PebbleOptions = {
  /** Where its config, TLS identity and root go. */
  dir: string;
  /** The DNS server Pebble resolves names through ("address:port"): node-1's PowerDNS in the cluster. */
  dnsServer: string;
  /** The port Pebble's VA fetches HTTP-01 answers from, on whatever address the name resolves to: the front doors' httpPort. */
  httpPort: number;
  /** ACME on this address:port, management (roots) on address:port+1000. */
  listen?: { address: string; port: number };
  /** Certificates' lifetime in seconds (Pebble's default is five years); short to test renewals. */
  validitySeconds?: number;
  /** Run detached, its output appended to this file (the local cluster's Pebble outlives this script). */
  logFile?: string;
};

export type Pebble = {
  directoryUrl: string;
  /** The root CA the issued certificates chain to (what clients must trust). */
  root: string;
  /** The certificate Pebble's ACME listener presents (what the ACME client must trust). */
  listenerCa: string;
  process: ChildProcess;
  stop(): Promise<void>;
};

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const listen = opts.listen ?? { address: "127.0.0.1", port: 14000 };
  const management = { address: listen.address, port: listen.port + 1000 };
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const cert = path.join(opts.dir, "listener.crt");
  const key = path.join(opts.dir, "listener.key");
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
    "-subj", "/CN=pebble", "-keyout", key, "-out", cert,
    "-addext", `subjectAltName=DNS:localhost,IP:${listen.address}`,
  ]);
  const config = path.join(opts.dir, "pebble.json");
  await writeFile(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `${listen.address}:${listen.port}`,
        managementListenAddress: `${management.address}:${management.port}`,
        certificate: cert,
        privateKey: key,
        httpPort: opts.httpPort,
        tlsPort: 5001,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      },
    }),
  );
  const child: ChildProcess = spawn("/usr/bin/pebble", ["-config", config, "-dnsserver", opts.dnsServer], {
    // No sleeps before validation, no good nonce refused, no authorization reused: each order
    // runs every step, quickly.
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
    stdio: opts.logFile ? ["ignore", openSync(opts.logFile, "a"), openSync(opts.logFile, "a")] : ["ignore", "pipe", "pipe"],
    detached: opts.logFile !== undefined,
  });
  let log = "";
  child.stdout?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  child.stderr?.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const listenerCa = await readFile(cert, "utf8");
  const directoryUrl = `https://${listen.address}:${listen.port}/dir`;
  const deadline = Date.now() + 10_000;
  let root = "";
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pebble exited (${child.exitCode}): ${log}`);
    const dir = await get(directoryUrl, listenerCa).catch(() => null);
    const roots = dir?.status === 200 ? await get(`https://${management.address}:${management.port}/roots/0`, listenerCa).catch(() => null) : null;
    if (roots?.status === 200) {
      root = roots.body;
      break;
    }
    if (Date.now() > deadline) throw new Error(`pebble did not answer at ${directoryUrl}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await writeFile(path.join(opts.dir, "root.pem"), root);
  await writeFile(path.join(opts.dir, "listener-ca.pem"), listenerCa);
  return {
    directoryUrl,
    root,
    listenerCa,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const [dir, dnsServer, httpPort] = process.argv.slice(2);
  if (!dir || !dnsServer || !httpPort) throw new Error("usage: pebble.ts <dir> <dnsServer> <httpPort>");
  const pebble = await startPebble({ dir, dnsServer, httpPort: Number(httpPort), logFile: path.join(dir, "pebble.log") });
  await writeFile(path.join(dir, "pebble.pid"), String(pebble.process.pid));
  pebble.process.unref();
  console.log(pebble.directoryUrl);
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
