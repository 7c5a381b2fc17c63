import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import * as acme from "acme-client";
import { startPebble, type Pebble } from "../../scripts/cluster/pebble";

// Pebble for a test file, and the DNS it resolves names through.
//
// THE STAND-IN: until node-1's PowerDNS runs in the test harnesses, names are resolved by
// `pebble-challtestsrv` (Pebble's own mock DNS), which answers every A query with one node
// address. `acmeDnsServer` is the one place that says which DNS server Pebble and the
// "domain points here" check use: switch it to node-1's PowerDNS ("127.0.1.1:53" in the
// cluster) and drop startStandInDns when the DNS work is merged.

export type StandInDns = { server: string; management: string; stop(): Promise<void>; pointAt(host: string, address: string): Promise<void> };

/** The DNS server Pebble and the control plane's check resolve through (see above). */
export function acmeDnsServer(standIn: StandInDns): string {
  return standIn.server;
}

/** pebble-challtestsrv as a DNS server only, answering every A query with `defaultIPv4`. */
export async function startStandInDns(address: string, port: number, defaultIPv4: string): Promise<StandInDns> {
  const management = `${address}:${port + 1}`;
  const child: ChildProcess = spawn(
    "/usr/bin/pebble-challtestsrv",
    ["-dns01", `${address}:${port}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", management, "-defaultIPv4", defaultIPv4, "-defaultIPv6", ""],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`http://${management}/`).then(() => true, () => false);
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("pebble-challtestsrv did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server: `${address}:${port}`,
    management,
    async pointAt(host, to) {
      const res = await fetch(`http://${management}/add-a`, { method: "POST", body: JSON.stringify({ host: `${host}.`, addresses: [to] }) });
      if (!res.ok) throw new Error(`add-a ${host}: ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Pebble with the stand-in DNS; acme-client (one axios per process) trusts its listener. */
export async function startTestPebble(opts: { dns: StandInDns; httpPort: number; listen: { address: string; port: number }; validitySeconds?: number }): Promise<Pebble & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "shoal-pebble-"));
  const pebble = await startPebble({ dir, dnsServer: acmeDnsServer(opts.dns), httpPort: opts.httpPort, listen: opts.listen, validitySeconds: opts.validitySeconds });
  acme.axios.defaults.httpsAgent = new https.Agent({ ca: pebble.listenerCa });
  return {
    ...pebble,
    async cleanup() {
      await pebble.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
