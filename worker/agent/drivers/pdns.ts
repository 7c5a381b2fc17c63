import { spawn } from "node:child_process";
import { chmod, chown, mkdir, open, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { StepResult } from "../../../server/contract/node-apply";
import type { ZoneRecord, ZoneSpec } from "../../../server/contract/dns-zone";
import { readTextIfExists, writeFileAtomic } from "../config-file";
import { runningPid, stopDaemon } from "../daemon";
import { serialise, type AgentLock } from "../serialise";
import type { NodeRoot } from "../node-root";
import { runCommand } from "../run-command";
import { lookupSystemUser } from "../system-users";
import { waitFor } from "../wait-for";

// The node's authoritative DNS: its own pdns_server (Debian's pdns-server with the bind backend),
// listening on the node's address, port 53, UDP and TCP. The store is a directory of zone files
// the agent writes from the spec, listed in a named.conf; the bind backend holds them in memory,
// so answers never touch a database and keep coming while Postgres, Redis or the control plane
// are down (docs/architecture.md, "Authoritative DNS on every node").
//
// A change never restarts pdns: a zone file that changed is written atomically and reloaded with
// `bind-reload-now`, zones added or removed are picked up with `rediscover`, and the changed zones
// are purged from the packet cache, all through pdns_control on the control socket.

const pdnsServer = "/usr/sbin/pdns_server";
const pdnsControl = "/usr/bin/pdns_control";

/** The DNS store's paths under the node root. */
export function pdnsPaths(node: NodeRoot) {
  const dir = path.join(node.root, "dns");
  return {
    /** root:pdns 0750: pdns reads its config, named.conf and zones after dropping to pdns. */
    dir,
    conf: path.join(dir, "pdns.conf"),
    namedConf: path.join(dir, "named.conf"),
    zonesDir: path.join(dir, "zones"),
    zoneFile: (zone: string) => path.join(dir, "zones", `${zone}.zone`),
    /** pdns:pdns 0750: the control socket. */
    socketDir: path.join(node.root, "run", "pdns"),
    pid: path.join(node.root, "run", "pdns.pid"),
    log: path.join(node.logDir, "pdns.log"),
  };
}

/** The DNS port; one number on every node (the NS records cannot carry a port). */
export const dnsPort = 53;

export function renderPdnsConf(node: NodeRoot): string {
  const p = pdnsPaths(node);
  return `# Written by the Shoal agent; changes are overwritten.
launch=bind
bind-config=${p.namedConf}
# The agent reloads what it changes (pdns_control); nothing polls the files.
bind-check-interval=0
local-address=${node.address}
local-port=${dnsPort}
socket-dir=${p.socketDir}
setuid=pdns
setgid=pdns
daemon=no
guardian=no
# Authoritative only, and silent: no security poll, no NOTIFY, no zone transfers, no API. A
# node never sends a DNS query of its own to anyone.
security-poll-suffix=
primary=no
secondary=no
disable-axfr=yes
webserver=no
api=no
# Two threads answer; the packet cache is purged per zone on every change.
receiver-threads=1
distributor-threads=1
loglevel=4
`;
}

/** named.conf: one line per zone, sorted, so it changes only when the set of zones does. */
export function renderNamedConf(node: NodeRoot, zones: readonly string[]): string {
  const p = pdnsPaths(node);
  const lines = [...zones].sort().map((z) => `zone "${z}" { type master; file "${p.zoneFile(z)}"; };`);
  return `# Written by the Shoal agent; changes are overwritten.\noptions { directory "${p.zonesDir}"; };\n${lines.join("\n")}\n`;
}

/** TXT content as quoted strings of at most 255 bytes each, `"` and `\\` escaped. */
export function quoteTxt(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  const parts: string[] = [];
  for (let i = 0; i < bytes.length || parts.length === 0; i += 255) {
    let chunk = "";
    for (const b of bytes.subarray(i, i + 255)) {
      // Printable ASCII as itself; anything else (UTF-8 bytes) as \DDD, so the file stays ASCII.
      chunk += b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\${String(b).padStart(3, "0")}`;
    }
    parts.push(`"${chunk}"`);
  }
  return parts.join(" ");
}

const absolute = (name: string) => `${name}.`;

function rdata(r: ZoneRecord): string {
  switch (r.type) {
    case "A":
    case "AAAA":
      return r.content;
    case "CNAME":
    case "NS":
      return absolute(r.content);
    case "MX":
      return `${r.priority} ${absolute(r.content)}`;
    case "SRV": {
      const [weight, port, target] = r.content.split(" ");
      return `${r.priority} ${weight} ${port} ${target === "." ? "." : absolute(target!)}`;
    }
    case "CAA":
      return r.content;
    case "TXT":
      return quoteTxt(r.content);
  }
}

/** The zone file of one zone: SOA first, then its records in the order given. */
export function renderZoneFile(zone: ZoneSpec): string {
  const soaTtl = 3600;
  // refresh, retry, expire: unused (no secondaries); minimum 60 s: how long a resolver caches "no
  // such name", so a record just added is seen within a minute even where one was asked before.
  const soa = `${absolute(zone.name)} ${soaTtl} IN SOA ${absolute(zone.primary)} ${absolute(zone.contact)} ${zone.serial} 3600 600 1209600 60`;
  const lines = zone.records.map((r) => `${absolute(r.name)} ${r.ttl} IN ${r.type} ${rdata(r)}`);
  return `; Zone ${zone.name}, written by the Shoal agent; changes are overwritten.\n${soa}\n${lines.join("\n")}\n`;
}

export async function pdnsPid(node: NodeRoot): Promise<number | null> {
  const p = pdnsPaths(node);
  return runningPid(p.pid, `--config-dir=${p.dir}`);
}

/** Directories with the owners pdns needs; idempotent. */
async function ensurePdnsLayout(node: NodeRoot): Promise<void> {
  const pdns = await lookupSystemUser("pdns");
  if (!pdns) throw new Error("The pdns system user is missing: install pdns-server (scripts/node-lib.sh).");
  const p = pdnsPaths(node);
  for (const [dir, uid, gid] of [[p.dir, 0, pdns.gid], [p.zonesDir, 0, pdns.gid], [p.socketDir, pdns.uid, pdns.gid]] as const) {
    await mkdir(dir, { recursive: true });
    await chown(dir, uid, gid);
    await chmod(dir, 0o750);
  }
}

/** Starts in progress, by node root: the watchdog and a converge must not start two. */
const starting = new Map<string, Promise<void>>();

/** Starts pdns_server detached from the agent (it outlives an agent restart, like nginx). */
export function startPdns(node: NodeRoot): Promise<void> {
  const pending = starting.get(node.root);
  if (pending) return pending;
  const start = startOnce(node).finally(() => starting.delete(node.root));
  starting.set(node.root, start);
  return start;
}

async function startOnce(node: NodeRoot): Promise<void> {
  if (await pdnsPid(node)) return;
  const p = pdnsPaths(node);
  await ensurePdnsLayout(node);
  if ((await readTextIfExists(p.namedConf)) === null) await writeFileAtomic(p.namedConf, renderNamedConf(node, []));
  const log = await open(p.log, "a", 0o600);
  try {
    const child = spawn(pdnsServer, [`--config-dir=${p.dir}`], { detached: true, stdio: ["ignore", log.fd, log.fd] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.unref();
    if (!child.pid) throw new Error("pdns_server did not start.");
    await writeFileAtomic(p.pid, `${child.pid}\n`, 0o600);
    // Started means answering on the control socket (the listeners are bound before it opens).
    const outcome = await Promise.race([
      waitFor("pdns_server to answer on its control socket", () => control(node, ["rping"]).then(() => "up" as const), { timeoutMs: 10_000, intervalMs: 20 }),
      exited.then((code) => ({ code })),
    ]);
    if (outcome !== "up") throw new Error(`pdns_server exited (${outcome.code}) at start; see ${p.log}.`);
  } finally {
    await log.close();
  }
}

export async function stopPdns(node: NodeRoot): Promise<void> {
  const pid = await pdnsPid(node);
  if (pid) await stopDaemon(pid, "SIGTERM", "pdns_server");
}

function control(node: NodeRoot, args: readonly string[]): Promise<{ stdout: string }> {
  return runCommand(pdnsControl, [`--socket-dir=${pdnsPaths(node).socketDir}`, ...args], { timeoutMs: 10_000 });
}

/** Zone names whose file is in the store (the agent's files only: `<name>.zone`). */
async function storedZones(node: NodeRoot): Promise<string[]> {
  const names = await readdir(pdnsPaths(node).zonesDir).catch(() => []);
  return names.flatMap((n) => (/^[a-z0-9_.-]+\.zone$/.test(n) && !n.startsWith(".") ? [n.slice(0, -".zone".length)] : [])).sort();
}

/** How many zones pdns_control is given per call (its command line stays well under limits). */
const controlBatch = 200;

async function purgeEach(node: NodeRoot, command: string, names: readonly string[]): Promise<void> {
  for (let i = 0; i < names.length; i += controlBatch) await control(node, [command, ...names.slice(i, i + controlBatch)]);
}

/**
 * Brings the node's DNS store and its pdns_server to `zones`: writes the zone files that differ,
 * removes the ones no longer wanted, starts pdns if it is not running, and otherwise has it
 * reload exactly the zones that changed. Idempotent: converged, it reads files and does nothing.
 */
export function convergeDns(node: NodeRoot, zones: readonly ZoneSpec[]): Promise<StepResult[]> {
  // The zones arrive two ways (a full spec, and PUT /v1/zones between converges): one at a time.
  let lock = dnsLocks.get(node.root);
  if (!lock) dnsLocks.set(node.root, (lock = serialise()));
  return lock.run(() => convergeDnsNow(node, zones));
}

const dnsLocks = new Map<string, AgentLock>();

/** The serial in a zone file the agent wrote (its SOA is the second line), or null. */
export function storedSerial(content: string | null): number | null {
  const m = content === null ? null : /^\S+ \d+ IN SOA \S+ \S+ (\d+) /m.exec(content);
  return m ? Number(m[1]) : null;
}

async function convergeDnsNow(node: NodeRoot, zones: readonly ZoneSpec[]): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const p = pdnsPaths(node);
  const run = async (step: string, kind: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      results.push({ step, kind, ok: true });
      return true;
    } catch (e) {
      results.push({ step, kind, ok: false, error: e instanceof Error ? e.message : String(e), objects: [] });
      return false;
    }
  };
  const conf = renderPdnsConf(node);
  const confChanged = (await readTextIfExists(p.conf)) !== conf;
  if (confChanged && !(await run("write pdns.conf", "writePdnsConf", async () => {
    await ensurePdnsLayout(node);
    await writeFileAtomic(p.conf, conf, 0o640);
    await chown(p.conf, 0, (await lookupSystemUser("pdns"))!.gid);
  }))) return results;

  const wanted = new Map(zones.map((z) => [z.name, renderZoneFile(z)]));
  const stored = await storedZones(node);
  const changed: string[] = [];
  for (const zone of zones) {
    const content = wanted.get(zone.name)!;
    const current = await readTextIfExists(p.zoneFile(zone.name));
    if (current === content) continue;
    // Serials only rise (worker/control/build-zones.ts): a zone older than the one served is a
    // spec or a push that was overtaken by a newer one, and must not bring old answers back.
    const served = storedSerial(current);
    if (served !== null && served > zone.serial) {
      wanted.set(zone.name, current!);
      continue;
    }
    changed.push(zone.name);
  }
  const removed = stored.filter((name) => !wanted.has(name));
  const named = renderNamedConf(node, [...wanted.keys()]);
  const namedChanged = (await readTextIfExists(p.namedConf)) !== named;
  if (changed.length || removed.length || namedChanged) {
    const ok = await run(`write ${changed.length} zone file(s), remove ${removed.length}`, "writeZones", async () => {
      await ensurePdnsLayout(node);
      for (const name of changed) await writeFileAtomic(p.zoneFile(name), wanted.get(name)!);
      // named.conf after the files it names, and before the files it no longer names go.
      if (namedChanged) await writeFileAtomic(p.namedConf, named);
      for (const name of removed) await rm(p.zoneFile(name), { force: true });
    });
    if (!ok) return results;
  }
  const pid = await pdnsPid(node);
  if (confChanged && pid) {
    // A config change (a new address) is the one thing that needs a restart.
    await run("restart pdns_server (its config changed)", "restartPdns", async () => {
      await stopPdns(node);
      await startPdns(node);
    });
    return results;
  }
  if (!pid) {
    await run("start pdns_server", "startPdns", () => startPdns(node));
    return results;
  }
  if (changed.length || removed.length || namedChanged) {
    await run(`reload ${changed.length + removed.length} zone(s) in pdns_server`, "reloadZones", async () => {
      const known = new Set(stored);
      if (namedChanged) await control(node, ["rediscover"]);
      // New zones were loaded by rediscover; the ones it already had are reloaded from their files.
      const reloaded = changed.filter((n) => known.has(n));
      for (let i = 0; i < reloaded.length; i += controlBatch) {
        const batch = reloaded.slice(i, i + controlBatch);
        const { stdout } = await control(node, ["bind-reload-now", ...batch]);
        // One line per zone; a zone pdns could not parse keeps its old contents in memory.
        // pdns 4.7 writes "<zone>: \tparsed into memory at …" (a tab after the colon).
        const loaded = (n: string) => stdout.split("\n").some((line) => line.startsWith(`${n}:`) && /^\s*parsed into memory/.test(line.slice(n.length + 1)));
        const failed = batch.filter((n) => !loaded(n));
        if (failed.length) throw new Error(`pdns_server did not load ${failed.join(", ")}: ${stdout.trim().slice(0, 500)}`);
      }
      await purgeEach(node, "purge", [...changed, ...removed].map((n) => `${n}$`));
    });
  }
  return results;
}

/**
 * Restarts pdns within about a second of it dying, while the agent runs, whether or not the
 * control plane is there to send a spec: DNS is data plane (invariant 5). Only a node that has
 * been given DNS (its pdns.conf written by a converge) is watched.
 */
export function startDnsWatchdog(node: NodeRoot, opts: { intervalMs?: number; log?: (line: string) => void } = {}): { stop: () => void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        if ((await readTextIfExists(pdnsPaths(node).conf)) === null || (await pdnsPid(node))) return;
        await startPdns(node);
        opts.log?.("pdns_server was not running: started it again.");
      } catch (e) {
        opts.log?.(`pdns_server could not be started: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        busy = false;
      }
    })();
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
