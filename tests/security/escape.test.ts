import { randomBytes } from "node:crypto";
import { readdir, readFile, symlink, lchown } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { accountPids } from "../../worker/agent/drivers/cgroup";
import { storeImage } from "../../worker/agent/storage/loop-store";
import { lookupSystemUser } from "../../worker/agent/system-users";
import { startCluster, clusterPorts, type Cluster, type ClusterNode } from "../cluster/harness";
import { connectPhp, putSiteFile, runAsCustomer } from "../helpers/customer-code";
import { httpGet, uniqueUsername, type Response } from "../integration/agent/node-harness";
import { attempt, publishTable, type Outcome } from "./escape-table";

// The security tier: a hostile customer on a real two-node cluster (real agents, nginx, one
// php-fpm master per account in its cgroup, MariaDB, btrfs with quotas, the egress rules), trying
// to get out. Alice is the attacker: her PHP runs through the front doors, and where an attack
// assumes she already found a way to run native code, a shell as her user is started the way the
// agent starts her processes. Bob is her neighbour on node 1, Carol a customer on node 2. Every
// attempt must fail, and the site must go on working; each is one row of the escape table.

let cluster: Cluster;
let n1: ClusterNode;
let n2: ClusterNode;
const alice = uniqueUsername("sa");
const bob = uniqueUsername("sb");
const carol = uniqueUsername("sc");
const aliceHost = "alice.sec.test";
const bobHost = "bob.sec.test";
const aliceLimits = { cpuPercent: 100, memoryMb: 96, pids: 32, ioWeight: 100, diskMb: 100 };
const bobSecret = `bob-secret-${randomBytes(6).toString("hex")}`;
const dbPassword = (who: string) => `pw-${who}-correct-horse-battery`;
// A platform service on loopback (the panel, a control worker's port): only root outside any
// account may reach it.
let platform: net.Server;
const platformPort = 18399;

const aliceSite = () => n1.root.siteDir(alice, "secsite1");
const bobSite = () => n1.root.siteDir(bob, "secsite2");

function node1Spec() {
  return {
    accounts: [
      { id: "secacc1", username: alice, status: "ACTIVE", limits: aliceLimits },
      { id: "secacc2", username: bob, status: "ACTIVE" },
    ],
    sites: [
      { id: "secsite1", accountId: "secacc1", domains: [aliceHost], documentRoot: "public", phpSettings: { max_execution_time: "2" }, status: "ACTIVE" },
      { id: "secsite2", accountId: "secacc2", domains: [bobHost], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
    ],
    databases: [
      { id: "secdb1", accountId: "secacc1", name: `${alice}_app`, users: [{ username: `${alice}_app`, password: dbPassword(alice) }] },
      { id: "secdb2", accountId: "secacc2", name: `${bob}_app`, users: [{ username: `${bob}_app`, password: dbPassword(bob) }] },
    ],
  };
}

function node2Spec() {
  return {
    accounts: [{ id: "secacc3", username: carol, status: "ACTIVE" }],
    sites: [{ id: "secsite3", accountId: "secacc3", domains: ["carol.sec.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
    databases: [{ id: "secdb3", accountId: "secacc3", name: `${carol}_app`, users: [{ username: `${carol}_app`, password: dbPassword(carol) }] }],
  };
}

async function put(node: ClusterNode, urlPath: string, body: unknown): Promise<unknown> {
  const res = await cluster.agentFetch(node, urlPath, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json());
  if (res.status !== 200) throw new Error(`PUT ${urlPath} on ${node.name}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Alice's page through a front door (node 2's by default: any node is a door). */
const front = (urlPath: string, door: ClusterNode = n2, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Response> =>
  httpGet(door.root, aliceHost, urlPath, { headers, timeoutMs });

let pageCount = 0;
/** Uploads `source` as a new PHP page of Alice's site and requests it through a front door. */
async function php(source: string, timeoutMs?: number): Promise<Response> {
  const name = `p${++pageCount}.php`;
  await putSiteFile(n1.root, alice, "secsite1", name, source);
  return front(`/${name}`, n2, {}, timeoutMs);
}

/** Alice's native code: a shell as her user, confined as the agent confines her processes. */
const native = (script: string, timeoutMs?: number) => runAsCustomer(n1.root, alice, script, timeoutMs);

const first = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 120) || "(nothing)";

/** A TCP connection from Alice's PHP; held when it is refused. */
async function phpConnect(target: string): Promise<Outcome> {
  const res = await front(`/connect.php?to=${encodeURIComponent(target)}`);
  if (res.status !== 200) return { held: false, observed: `the probe page answered ${res.status}` };
  const seen = (JSON.parse(res.body) as Record<string, string>)[target] ?? "no answer";
  return { held: seen !== "connected", observed: seen };
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, workers: 0, seed: false, storage: "btrfs" });
  [n1, n2] = cluster.nodes as [ClusterNode, ClusterNode];
  platform = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.end("platform secret\n");
  });
  await new Promise<void>((resolve) => platform.listen(platformPort, "127.0.0.1", resolve));
  for (const [node, spec] of [[n1, node1Spec()], [n2, node2Spec()]] as const) {
    const result = (await put(node, "/v1/spec", spec)) as { ok: boolean; failed: number };
    expect(result, `${node.name}'s converge`).toMatchObject({ ok: true, failed: 0 });
  }
  const target = { address: n1.address, port: clusterPorts.backend };
  const routes = {
    routes: [
      { siteId: "secsite1", domains: [aliceHost], target, epoch: 1, paused: false },
      { siteId: "secsite2", domains: [bobHost], target, epoch: 1, paused: false },
    ],
  };
  for (const node of [n1, n2]) await put(node, "/v1/routes", routes);
  await putSiteFile(n1.root, alice, "secsite1", "connect.php", connectPhp);
  await putSiteFile(n1.root, alice, "secsite1", "index.php", "<?php echo 'alice ok';");
  await putSiteFile(n1.root, bob, "secsite2", "index.php", "<?php echo 'bob ok';");
  await putSiteFile(n1.root, bob, "secsite2", "secret.txt", bobSecret);
  await putSiteFile(n1.root, alice, "secsite1", "remote.php", "<?php echo $_SERVER['REMOTE_ADDR'];");
  expect((await front("/")).body).toBe("alice ok");
  expect((await httpGet(n2.root, bobHost, "/")).body).toBe("bob ok");
}, 300_000);

afterAll(async () => {
  await publishTable("security-escapes");
  platform?.close();
  await cluster?.stop();
}, 300_000);

describe("network: Alice's PHP connects to nothing but her node's MariaDB and the internet", () => {
  const refused = "refused";
  attempt("network", "PHP to Postgres on 127.0.0.1:5432", refused, () => phpConnect("127.0.0.1:5432"));
  attempt("network", "PHP to Postgres on [::1]:5432", refused, () => phpConnect("[::1]:5432"));
  attempt("network", "PHP to Redis on 127.0.0.1:6379", refused, () => phpConnect("127.0.0.1:6379"));
  attempt("network", "PHP to the machine's MariaDB on 127.0.0.1:3306", refused, () => phpConnect("127.0.0.1:3306"));
  attempt("network", "PHP to a platform service (the panel's stand-in) on 127.0.0.1", refused, () => phpConnect(`127.0.0.1:${platformPort}`));
  for (const [label, port] of [
    ["agent", clusterPorts.agent],
    ["front door", clusterPorts.http],
    ["backend", clusterPorts.backend],
    ["hold service", clusterPorts.hold],
  ] as const) {
    attempt("network", `PHP to its own node's ${label} (:${port})`, refused, () => phpConnect(`${n1.address}:${port}`));
    attempt("network", `PHP to the other node's ${label} (:${port})`, refused, () => phpConnect(`${n2.address}:${port}`));
  }
  attempt("network", "PHP to the other node's MariaDB", refused, () => phpConnect(`${n2.address}:${clusterPorts.mysql}`));
  attempt("network", "PHP to its own node's MariaDB (allowed: the one service it needs)", "connected", async () => {
    const seen = await phpConnect(`${n1.address}:${clusterPorts.mysql}`);
    return { held: seen.observed === "connected", observed: seen.observed };
  });
  attempt("network", "native code to Postgres over TCP", refused, async () => {
    const { out } = await native("perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(PeerAddr => \"127.0.0.1:5432\", Timeout => 2) ? \"connected\" : \"refused: $!\"'");
    return { held: !out.includes("connected"), observed: first(out) };
  });
});

describe("unix sockets: the platform's services have no socket a customer can find", () => {
  // Paths as functions: the nodes' roots are known once the cluster runs.
  const sockets: [string, () => string][] = [
    ["Postgres", () => "/run/postgresql/.s.PGSQL.5432"],
    ["the machine's MariaDB", () => "/run/mysqld/mysqld.sock"],
    ["the other node's MariaDB", () => n2.root.mysqlSocket],
    ["its node's backend", () => n1.root.backendSocket],
  ];
  for (const [label, socket] of sockets) {
    attempt("sockets", `PHP to a unix socket: ${label}`, "refused or not found", async () => {
      const res = await php(`<?php $s = @fsockopen('unix://${socket()}', -1, $e, $m, 2); echo $s ? 'connected' : "refused: $m";`);
      return { held: res.status === 200 && !res.body.includes("connected"), observed: `${res.status} ${first(res.body)}` };
    });
  }
  attempt("sockets", "native code to Postgres's and the other node's MariaDB's unix sockets", "refused or not found", async () => {
    const { out } = await native(
      `for s in /run/postgresql/.s.PGSQL.5432 ${n2.root.mysqlSocket}; do perl -MIO::Socket::UNIX -e 'print IO::Socket::UNIX->new(Peer => $ARGV[0]) ? "connected " : "refused($!) "' "$s"; done`,
    );
    return { held: !out.includes("connected"), observed: first(out) };
  });
});

describe("files: nothing of another account or of the platform, through PHP, nginx or native code", () => {
  attempt("files", "PHP reads /etc/passwd", "refused by open_basedir", async () => {
    const res = await php("<?php echo @file_get_contents('/etc/passwd') === false ? 'refused' : 'READ';");
    return { held: res.body === "refused", observed: first(res.body) };
  });
  attempt("files", "PHP reads Bob's file by its absolute path", "refused", async () => {
    const res = await php(`<?php echo @file_get_contents('${bobSite()}/public/secret.txt') ?: 'refused';`);
    return { held: !res.body.includes(bobSecret), observed: first(res.body) };
  });
  attempt("files", "PHP widens its own open_basedir to /", "unchanged", async () => {
    const res = await php("<?php @ini_set('open_basedir', '/'); echo ini_get('open_basedir'), ' ', @file_get_contents('/etc/hostname') === false ? 'refused' : 'READ';");
    return { held: res.body.endsWith("refused") && !res.body.startsWith("/ "), observed: first(res.body) };
  });
  attempt("files", "PHP makes a symlink chain out of its tree and the front door serves it", "not served", async () => {
    await php("<?php @symlink('../../../../../../../../etc', 'etcl'); @symlink('/etc/passwd', 'pw.txt'); echo 'made';");
    const a = await front("/etcl/passwd");
    const b = await front("/pw.txt");
    const leaked = a.body.includes("root:x:0") || b.body.includes("root:x:0");
    return { held: !leaked, observed: `${a.status} and ${b.status}` };
  });
  const served = async (link: string, target: string, marker: (body: string) => boolean): Promise<Outcome> => {
    // As if made by native code: a symlink owned by Alice in her document root.
    const file = path.join(aliceSite(), "public", link);
    await symlink(target, file);
    const user = (await lookupSystemUser(alice))!;
    await lchown(file, user.uid, user.gid);
    const res = await front(`/${link}`, n1, { range: "bytes=0-65535" });
    // A name nginx will not open falls through to the site's index page, which is not a leak.
    const leaked = res.status < 300 && res.body !== "alice ok" && marker(res.body);
    return { held: !leaked, observed: `${res.status} ${first(res.body).slice(0, 60)}` };
  };
  attempt("files", "the front door serves a symlink to Bob's file", "403/404", () => served("bob.txt", path.join(bobSite(), "public", "secret.txt"), (b) => b.includes(bobSecret)));
  attempt("files", "the front door serves a symlink to the node's raw store image (Range request)", "403/404", () => served("store.bin", storeImage(n1.root), (b) => b.length > 0));
  attempt("files", "the front door serves a symlink to the panel's auth secret", "403/404", async () => {
    const secret = (await readFile(path.resolve("var/auth-secret"), "utf8").catch(() => "")).trim();
    return served("auth.txt", path.resolve("var/auth-secret"), (b) => secret !== "" && b.includes(secret));
  });
  attempt("files", "the front door serves a symlink to a node config naming other customers", "403/404", () =>
    served("vhost.txt", n1.root.vhostFile("secsite2"), (b) => b.includes(bobHost)),
  );
  attempt("files", "a symlink to Alice's own file still serves (same owner)", "200", async () => {
    await putSiteFile(n1.root, alice, "secsite1", "own.txt", "own file");
    const file = path.join(aliceSite(), "public", "own-link.txt");
    await symlink("own.txt", file);
    const user = (await lookupSystemUser(alice))!;
    await lchown(file, user.uid, user.gid);
    const res = await front("/own-link.txt");
    return { held: res.status === 200 && res.body === "own file", observed: `${res.status} ${first(res.body)}` };
  });
  attempt("files", "native code reads Bob's site file", "permission denied", async () => {
    const { out } = await native(`cat ${bobSite()}/public/secret.txt 2>&1; ls ${n1.root.accountHome(bob)} >/dev/null 2>&1 && echo LISTED || echo unlisted`);
    return { held: !out.includes(bobSecret) && out.includes("unlisted"), observed: first(out) };
  });
  attempt("files", "native code writes into Bob's site", "permission denied", async () => {
    const { out } = await native(`echo owned > ${bobSite()}/public/index.php 2>&1; echo exit=$?`);
    const still = await httpGet(n2.root, bobHost, "/");
    return { held: still.body === "bob ok", observed: `${first(out)}; Bob's page: ${first(still.body)}` };
  });
  attempt("files", "native code hard-links Bob's file into its own tree", "refused", async () => {
    const { out } = await native(`ln ${bobSite()}/public/secret.txt ${aliceSite()}/public/hard.txt 2>&1; echo exit=$?`);
    return { held: /exit=[1-9]/.test(out), observed: first(out) };
  });
  attempt("files", "native code lists the node's homes, vhosts and pools", "nothing of others", async () => {
    const { out } = await native(`ls ${n1.root.homeDir} ${n1.root.vhostDir} ${n1.root.poolsDir} 2>&1`);
    return { held: !out.includes(bob) && !out.includes("secsite2"), observed: first(out) };
  });
  attempt("files", "native code reads Bob's php-fpm pool, his vhost and the node's nginx config", "permission denied", async () => {
    const { out } = await native(
      `for f in ${n1.root.poolFile(bob, "secsite2")} ${n1.root.vhostFile("secsite2")} ${n1.root.nginxConf}; do cat "$f" >/dev/null 2>&1 && echo "READ $f" || echo refused; done`,
    );
    return { held: !out.includes("READ"), observed: first(out) };
  });
  attempt("files", "native code reads the node's raw store image", "permission denied", async () => {
    const { out } = await native(`head -c 4096 ${storeImage(n1.root)} >/dev/null 2>&1 && echo READ || echo refused`);
    return { held: out.includes("refused"), observed: first(out) };
  });
  attempt("files", "native code reads the platform's secrets (var/)", "not there", async () => {
    const { out } = await native(`ls -A ${path.resolve("var")} 2>&1; cat ${path.resolve("var/auth-secret")} 2>&1`);
    const secret = await readFile(path.resolve("var/auth-secret"), "utf8").catch(() => null);
    return { held: secret === null ? !out.includes("auth-secret") : !out.includes(secret.trim()), observed: first(out) };
  });
  attempt("files", "native code reads /etc/shadow", "permission denied", async () => {
    const { out } = await native("cat /etc/shadow 2>&1 | head -c 80");
    return { held: !out.includes("root:"), observed: first(out) };
  });
});

describe("the site volume: its platform part is neither shown to Alice nor hers to write", () => {
  // The volume holds her tree (files/, her site directory) and root's meta/ (dumps, the app
  // marker) side by side (worker/agent/storage/volume-layout.ts).
  const volume = () => n1.root.siteVolumeDir(alice, "secsite1");
  const platformName = /shoal|^meta$|\.sql$|snapshot\.json|app\.json/i;
  const snapshotName = (second: number) => `s-20310101T0000${String(second).padStart(2, "0")}Z`;
  const snapshot = (name: string) =>
    cluster.agentFetch(n1, "/v1/sites/secsite1/snapshots", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, databases: [`${alice}_app`] }) });
  // A snapshot with her database first: the dumps exist, so there is something of the platform's to find.
  beforeAll(async () => {
    expect((await snapshot(snapshotName(1))).status).toBe(201);
  }, 120_000);

  attempt("volume", "PHP lists its site directory and document root (scandir)", "nothing of the platform", async () => {
    const res = await php("<?php echo json_encode([scandir(dirname($_SERVER['DOCUMENT_ROOT'])), scandir($_SERVER['DOCUMENT_ROOT'])]);");
    const [site, docroot] = JSON.parse(res.body) as [string[] | false, string[] | false];
    const names = [...(site || []), ...(docroot || [])];
    return { held: site !== false && site.includes("public") && !names.some((n) => platformName.test(n)), observed: first(JSON.stringify(site)) };
  });
  attempt("volume", "PHP lists the volume above its site directory", "refused", async () => {
    const res = await php("<?php $l = @scandir(dirname($_SERVER['DOCUMENT_ROOT'], 2)); echo $l === false ? 'refused' : json_encode($l);");
    return { held: res.body === "refused", observed: first(res.body) };
  });
  attempt("volume", "native code lists the volume root and the platform directory", "permission denied", async () => {
    const { out } = await native(`ls -a ${volume()}; ls -a ${volume()}/meta; ls -a ${volume()}/meta/db`);
    return { held: !/\.sql|snapshot\.json|app\.json|\bfiles\b/.test(out) && /denied/i.test(out), observed: first(out) };
  });
  attempt("volume", "native code writes a dump or a marker into the platform directory", "permission denied", async () => {
    const { out } = await native(
      `echo 'CREATE TABLE pwned (id INT);' > ${volume()}/meta/db/${alice}_app.sql; echo '{}' > ${volume()}/meta/app.json; mkdir ${volume()}/meta/x; echo done`,
    );
    // Judged by what is on disk (root's view), not by the shell's words.
    const planted = await readFile(path.join(volume(), "meta/db", `${alice}_app.sql`), "utf8").catch(() => "");
    const marker = await readFile(path.join(volume(), "meta/app.json"), "utf8").catch(() => "");
    const made = await readdir(path.join(volume(), "meta")).catch(() => [] as string[]);
    return { held: !planted.includes("pwned") && marker.trim() !== "{}" && !made.includes("x"), observed: `${first(out)}; meta: ${made.join(",")}` };
  });
  attempt("volume", "native code renames or symlinks its files into the platform directory or the volume root", "permission denied", async () => {
    const site = aliceSite();
    const { out } = await native(
      [
        `echo 'CREATE TABLE pwned (id INT);' > ${site}/public/plant.sql`,
        `mv ${site}/public/plant.sql ${volume()}/meta/db/${alice}_app.sql`,
        `mv ${site}/public ${volume()}/meta/public`,
        `mv ${site} ${volume()}/files2`,
        `ln -s ${site}/public/plant.sql ${volume()}/meta/db/planted.sql`,
        `ln -s /etc ${volume()}/meta2`,
        `mkdir ${volume()}/meta2`,
        `echo done`,
      ].join("; "),
    );
    const top = (await readdir(volume())).sort();
    const dumps = await readdir(path.join(volume(), "meta/db")).catch(() => [] as string[]);
    const held = JSON.stringify(top) === JSON.stringify(["files", "meta"]) && !dumps.includes("planted.sql") && (await front("/")).body === "alice ok";
    return { held, observed: `${first(out)}; volume: ${top.join(",")}` };
  });
  attempt("volume", "the front door serves the platform directory through a symlink in the document root", "not served", async () => {
    await php(`<?php @symlink('${volume()}/meta', 'pm'); @symlink('../../meta/db', 'pd'); echo 'made';`);
    const a = await front("/pm/app.json");
    const b = await front("/pd/snapshot.json");
    const c = await front("/../../meta/db/snapshot.json");
    // A missing path falls back to her index.php (200 "alice ok"): what counts is that no platform file's content comes back.
    const leaked = [a, b, c].some((r) => /installedAt|"databases"|"takenAt"/.test(r.body));
    return { held: !leaked, observed: `${a.status} ${first(a.body).slice(0, 20)}, ${b.status} ${first(b.body).slice(0, 20)} and ${c.status}` };
  });
  attempt("volume", "a dump planted under the earlier layout's name in its tree is loaded by a rollback", "never loaded", async () => {
    const db = `${alice}_app`;
    const { out } = await native(`mkdir -p ${aliceSite()}/.shoal-db && echo 'CREATE TABLE pwned (id INT);' > ${aliceSite()}/.shoal-db/${db}.sql && echo planted`);
    const snap = snapshotName(2);
    const made = await snapshot(snap);
    const restored = await cluster.agentFetch(n1, "/v1/sites/secsite1/restore", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: snap, keepCurrentAs: snap.replace("s-", "pre-") }),
    });
    const tables = await php(
      `<?php mysqli_report(MYSQLI_REPORT_OFF); $m = @new mysqli('${n1.address}', '${db}', '${dbPassword(alice)}', '${db}', ${clusterPorts.mysql}); $r = $m->query('SHOW TABLES'); $t = []; while ($r && $row = $r->fetch_row()) $t[] = $row[0]; echo json_encode($t);`,
    );
    return {
      held: made.status === 201 && restored.status < 300 && !tables.body.includes("pwned"),
      observed: `${first(out)}; snapshot ${made.status}, rollback ${restored.status}, tables ${first(tables.body)}`,
    };
  });
});

describe("processes: Alice's code sees and touches only her own processes, and none outlives its request", () => {
  attempt("processes", "PHP runs a command (exec, system, shell_exec, proc_open, popen, passthru, pcntl_exec)", "all disabled", async () => {
    const res = await php(
      "<?php $out = []; foreach (['exec','system','shell_exec','proc_open','popen','passthru','pcntl_exec','pcntl_fork'] as $f) $out[] = function_exists($f) ? $f : '-'; echo implode(',', $out);",
    );
    return { held: res.body === "-,-,-,-,-,-,-,-", observed: first(res.body) };
  });
  attempt("processes", "PHP sets LD_PRELOAD with putenv for mail()'s child", "putenv disabled", async () => {
    const res = await php("<?php try { putenv('LD_PRELOAD=/tmp/evil.so'); echo 'SET'; } catch (\\Error $e) { echo 'refused: ', $e->getMessage(); }");
    return { held: !res.body.includes("SET"), observed: first(res.body) };
  });
  attempt("processes", "PHP loads native code with dl() or FFI", "refused", async () => {
    const res = await php(
      "<?php $r = []; $r[] = function_exists('dl') ? 'dl' : '-'; try { \\FFI::cdef('int getpid(void);'); $r[] = 'FFI'; } catch (\\Throwable $e) { $r[] = '-'; } echo implode(',', $r);",
    );
    return { held: res.body === "-,-", observed: first(res.body) };
  });
  attempt("processes", "PHP's mail() with an injected sendmail argument runs a command", "no command runs", async () => {
    const marker = `${aliceSite()}/public/injected`;
    await php(`<?php @mail('x@example.test', 's', 'b', '', "-be \\\${run{/bin/touch ${marker}}} -X${marker}"); echo 'sent';`);
    const { out } = await native(`test -e ${marker} && echo EXISTS || echo absent`);
    return { held: out.includes("absent"), observed: first(out) };
  });
  attempt("processes", "native code lists other users' processes in /proc", "only its own", async () => {
    const { out } = await native("for p in /proc/[0-9]*; do stat -c %U $p 2>/dev/null; done | sort -u | tr '\\n' ' '");
    return { held: out.trim() === alice, observed: first(out) };
  });
  attempt("processes", "native code kills Bob's php-fpm worker", "no such process", async () => {
    const [pid] = await accountPids(n1.root, bob);
    const { out } = await native(`kill -9 ${pid} 2>&1; echo exit=$?`);
    const alive = (await accountPids(n1.root, bob)).includes(pid!);
    return { held: alive, observed: `${first(out)}; Bob's master alive: ${alive}` };
  });
  attempt("processes", "native code gains root through a setuid program", "no new privileges", async () => {
    const { out } = await native("grep NoNewPrivs /proc/self/status; su -c id root </dev/null 2>&1 | head -1; id -u");
    return { held: /NoNewPrivs:\s+1/.test(out) && !/uid=0\(/.test(out), observed: first(out) };
  });
  attempt("processes", "native code leaves its cgroup or unmounts its private /tmp", "refused", async () => {
    const { out } = await native("echo $$ > /sys/fs/cgroup/unified/cgroup.procs 2>&1; echo cg=$?; umount /tmp 2>&1; echo um=$?");
    return { held: /cg=[1-9]/.test(out) && /um=[1-9]/.test(out), observed: first(out) };
  });
  attempt("processes", "native code shares files through /tmp with Bob", "each has its own /tmp", async () => {
    await native("echo from-alice > /tmp/drop.txt");
    const { out } = await runAsCustomer(n1.root, bob, "cat /tmp/drop.txt 2>&1");
    return { held: !out.includes("from-alice"), observed: first(out) };
  });
  attempt(
    "processes",
    "a process left running after the request (setsid sleep)",
    "killed within seconds",
    async () => {
      await native("setsid sleep 300 </dev/null >/dev/null 2>&1 &");
      const started = Date.now();
      let left = 1;
      while (Date.now() - started < 10_000) {
        const { out } = await native("pgrep -x sleep | wc -l");
        left = Number(out.trim());
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      return { held: left === 0, observed: left === 0 ? `gone after ${Date.now() - started} ms` : "still running after 10 s" };
    },
    30_000,
  );
  attempt(
    "processes",
    "PHP ignores its time limit (set_time_limit(0), then sleeps 30 s)",
    "cut at the pool's limit",
    async () => {
      const started = Date.now();
      const res = await php("<?php set_time_limit(0); sleep(30); echo 'SURVIVED';", 25_000).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
      const ms = Date.now() - started;
      return { held: !res.body.includes("SURVIVED") && ms < 15_000, observed: `${res.status} after ${ms} ms` };
    },
    30_000,
  );
});

describe("resources: Alice's limits hold, and Bob's site serves meanwhile", () => {
  attempt("resources", "PHP raises memory_limit to -1 and allocates 300 MB", "stopped at the plan's limit", async () => {
    const res = await php("<?php @ini_set('memory_limit', '-1'); echo ini_get('memory_limit'), ' '; $x = str_repeat('a', 300 * 1024 * 1024); echo 'ALLOCATED';");
    return { held: !res.body.includes("ALLOCATED"), observed: `${res.status} ${first(res.body)}` };
  });
  attempt(
    "resources",
    "native code allocates 300 MB",
    "killed by the account's memory limit",
    async () => {
      const { out } = await native("perl -e '$x = \"a\" x 300000000; print \"ALLOCATED\"' 2>&1; echo exit=$?");
      const bobPage = await httpGet(n2.root, bobHost, "/");
      return { held: !out.includes("ALLOCATED") && bobPage.body === "bob ok", observed: `${first(out)}; Bob: ${bobPage.status}` };
    },
    60_000,
  );
  attempt(
    "resources",
    "native fork bomb (500 children)",
    "stopped at the plan's pids limit",
    async () => {
      const { out } = await native(
        `perl -e 'my @k; for (1..500) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 20; exit 0 } push @k, $p } print "started=", scalar(@k); kill 9, @k'`,
        40_000,
      );
      const started = Number(/started=(\d+)/.exec(out)?.[1] ?? "999");
      const bobPage = await httpGet(n2.root, bobHost, "/");
      return { held: started < aliceLimits.pids && bobPage.body === "bob ok", observed: `${started} children; Bob: ${bobPage.status}` };
    },
    60_000,
  );
  attempt(
    "resources",
    "PHP writes 300 MB into a site on a 100 MB plan",
    "writes fail near 100 MB",
    async () => {
      const res = await php(
        "<?php $f = fopen(__DIR__ . '/fill.bin', 'w'); $chunk = str_repeat('x', 1 << 20); $n = 0; for ($i = 0; $i < 300; $i++) { if (@fwrite($f, $chunk) !== strlen($chunk) || !@fflush($f)) break; $n++; } fclose($f); @unlink(__DIR__ . '/fill.bin'); echo $n;",
        60_000,
      );
      const written = Number(res.body);
      const bobWrite = await runAsCustomer(n1.root, bob, `head -c 8388608 /dev/zero > ${bobSite()}/public/ok.bin && echo ok; rm -f ${bobSite()}/public/ok.bin`);
      return { held: res.status === 200 && written < 110 && bobWrite.out.includes("ok"), observed: `${written} MB written; Bob's 8 MB write: ${first(bobWrite.out)}` };
    },
    90_000,
  );
});

describe("database: Alice's database user reaches her database only", () => {
  const sql = async (query: string): Promise<string> => {
    const res = await php(
      `<?php mysqli_report(MYSQLI_REPORT_OFF); $m = @new mysqli('${n1.address}', '${alice}_app', '${dbPassword(alice)}', '${alice}_app', ${clusterPorts.mysql}); if ($m->connect_errno) { echo 'connect: ', $m->connect_error; exit; } $r = $m->query(${JSON.stringify(query)}); if (!$r) { echo 'error: ', $m->error; exit; } $rows = []; if ($r !== true) while ($row = $r->fetch_row()) $rows[] = implode('|', array_map('strval', $row)); echo 'ok: ', implode(',', $rows);`,
    );
    return res.body;
  };
  attempt("database", "reads Bob's database", "access denied", async () => {
    const out = await sql(`SHOW TABLES FROM \`${bob}_app\``);
    const list = await sql("SHOW DATABASES");
    return { held: /denied/i.test(out) && !list.includes(`${bob}_app`), observed: `${first(out)}; databases: ${first(list)}` };
  });
  attempt("database", "reads a file with LOAD_FILE", "NULL (no FILE privilege)", async () => {
    const out = await sql("SELECT COALESCE(LOAD_FILE('/etc/passwd'), 'NULL')");
    return { held: !out.includes("root:x"), observed: first(out) };
  });
  attempt("database", "writes a file with SELECT ... INTO OUTFILE", "access denied", async () => {
    const out = await sql(`SELECT 'x' INTO OUTFILE '/tmp/shoal-sec-${alice}.txt'`);
    return { held: out.startsWith("error"), observed: first(out) };
  });
  attempt("database", "creates a user or grants itself more", "access denied", async () => {
    const a = await sql(`CREATE USER 'evil'@'%' IDENTIFIED BY 'x'`);
    const b = await sql(`GRANT ALL ON *.* TO '${alice}_app'@'%'`);
    return { held: a.startsWith("error") && b.startsWith("error"), observed: `${first(a)}; ${first(b)}` };
  });
  attempt("database", "signs in to its node's MariaDB as root without a password", "access denied", async () => {
    const res = await php(`<?php mysqli_report(MYSQLI_REPORT_OFF); $m = @new mysqli('${n1.address}', 'root', '', '', ${clusterPorts.mysql}); echo $m->connect_errno ? 'denied: ' . $m->connect_error : 'CONNECTED';`);
    return { held: !res.body.includes("CONNECTED"), observed: first(res.body) };
  });
});

describe("forwarding headers: the visitor address PHP sees cannot be forged", () => {
  const forged = "6.6.6.6";
  attempt("headers", "X-Forwarded-For through the front door", "the client's own address", async () => {
    const res = await front("/remote.php", n2, { "x-forwarded-for": forged, "x-real-ip": forged });
    return { held: res.body !== forged && res.status === 200, observed: first(res.body) };
  });
  for (const [label, port] of [
    ["backend", clusterPorts.backend],
    ["hold service", clusterPorts.hold],
  ] as const) {
    // From 127.0.0.1: a client on the machine (or the private network) that is not a node's front door.
    attempt("headers", `X-Forwarded-For straight to a node's ${label} (:${port})`, "refused or the socket's address", async () => {
      const res = await httpGet(n1.root, aliceHost, "/remote.php", { port, localAddress: "127.0.0.1", headers: { "x-forwarded-for": forged, "x-real-ip": forged } }).catch(
        (e: Error) => ({ status: 0, body: e.message, headers: {} }),
      );
      return { held: !res.body.includes(forged), observed: `${res.status} ${first(res.body)}` };
    });
  }
});
