import { chmod, cp, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../../worker/agent/converge";
import { maxMessageBytes, spooledMessages } from "../../../worker/agent/drivers/sendmail";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { runCommand } from "../../../worker/agent/run-command";
import { storeImage } from "../../../worker/agent/storage/loop-store";
import { lookupSystemUser } from "../../../worker/agent/system-users";
import { startEdge, type Edge } from "../../../worker/edge/edge-routes";
import { destroyNode, httpGet, makeNode, uniqueUsername } from "./node-harness";
import { putSiteFile, runAsCustomer } from "../../helpers/customer-code";

// What one account can reach of another's files and of the node's own, on a real node: through
// nginx (a symlink the account plants in its site, fetched through the front door), through PHP's
// mail() (the sendmail wrapper and the account's spool), and as native code running as the
// account, started the way the agent starts everything of an account (confinedCommand).

let node: NodeRoot;
let edge: Edge;
const alice = uniqueUsername("fa");
const bob = uniqueUsername("fb");
// Made by the repository's own scripts (scripts/lib.sh, scripts/cluster.sh), in a copy of them.
let scriptsRoot: string;

const spec = {
  accounts: [
    { id: "acc1", username: alice, status: "ACTIVE" },
    { id: "acc2", username: bob, status: "ACTIVE" },
  ],
  sites: [
    { id: "site1", accountId: "acc1", domains: ["alice.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
    // A document root two levels below the site directory.
    { id: "site2", accountId: "acc2", domains: ["bob.example.test"], documentRoot: "web/html", phpSettings: {}, status: "ACTIVE" },
  ],
  databases: [],
};

const bobSecret = "bob-private-content-7d1f";

const put = (username: string, siteId: string, documentRoot: string, name: string, content: string) => putSiteFile(node, username, siteId, name, content, documentRoot);
const asCustomer = (username: string, script: string) => runAsCustomer(node, username, script);

const front = (host: string, urlPath: string) => httpGet(node, host, urlPath);
const mode = async (file: string) => (await stat(file)).mode & 0o7777;

beforeAll(async () => {
  node = await makeNode("127.0.42.1", 18420, 17420, { backendPort: 18421, holdPort: 18422 });
  // A store image left by an earlier version, readable by anyone: the agent's start tightens it.
  await mkdir(node.root, { recursive: true });
  await writeFile(storeImage(node), "every account's files\n", { mode: 0o644 });
  const results = await converge(node, spec);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  edge = await startEdge(node);
  await edge.put({
    routes: [
      { siteId: "site1", domains: ["alice.example.test"], target: { address: node.address, port: node.backendPort }, epoch: 1, paused: false },
      { siteId: "site2", domains: ["bob.example.test"], target: { address: node.address, port: node.backendPort }, epoch: 1, paused: false },
    ],
  });
  await put(bob, "site2", "web/html", "secret.txt", `${bobSecret}\n`);
  await put(alice, "site1", "public", "own.txt", "alice's own file\n");

  // The scripts' secrets, made by the scripts themselves: var/ as an earlier version left it
  // (0755, an auth secret 0644), then the functions npm start runs.
  scriptsRoot = path.join(path.dirname(node.root), "repo");
  await mkdir(path.join(scriptsRoot, "scripts"), { recursive: true });
  for (const name of ["lib.sh", "node-lib.sh", "cluster.sh"]) await cp(path.join("scripts", name), path.join(scriptsRoot, "scripts", name));
  // What the scripts run to derive the panel's purpose key (scripts/cluster/purpose-key.ts), as
  // links to the repository's own.
  for (const name of ["node_modules", "server", "scripts/cluster"]) await symlink(path.resolve(name), path.join(scriptsRoot, name));
  await mkdir(path.join(scriptsRoot, "var"), { mode: 0o755 });
  await chmod(path.join(scriptsRoot, "var"), 0o755);
  await writeFile(path.join(scriptsRoot, "var/auth-secret"), "an-auth-secret-from-an-earlier-version-0123456789", { mode: 0o644 });
  await chmod(scriptsRoot, 0o755);
  await runCommand("/bin/bash", [
    "-c",
    'unset AUTH_SECRET SHOAL_CLUSTER_SECRET; source "$1/scripts/lib.sh"; source "$1/scripts/cluster.sh"; ensure_auth_secret; ensure_cluster_secret',
    "shoal-test",
    scriptsRoot,
  ]);
}, 120_000);

afterAll(async () => {
  await edge?.close();
  if (node) await destroyNode(node);
}, 120_000);

describe("nginx and symlinks an account plants in its site", () => {
  it("serves a symlink to the account's own file, and never the target of one to another account's file, /etc/passwd or the node's config", async () => {
    const bobFile = path.join(node.siteDir(bob, "site2"), "web/html/secret.txt");
    const bobDocroot = path.join(node.siteDir(bob, "site2"), "web/html");
    const docroot = path.join(node.siteDir(alice, "site1"), "public");
    const planted = await asCustomer(
      alice,
      [
        `cd ${docroot}`,
        "ln -s own.txt mine.txt",
        `ln -s ${bobFile} bob.txt`,
        `ln -s ${bobDocroot} bobdir`,
        "ln -s /etc/passwd passwd.txt",
        "ln -s /etc/passwd passwd.php",
        `ln -s ${node.nginxConf} nginx.txt`,
        "echo planted",
      ].join(" && "),
    );
    expect(planted.out).toContain("planted");
    // The targets are there for nginx's workers to read: only the owner rule stops them.
    expect((await front("bob.example.test", "/secret.txt")).body).toContain(bobSecret);

    const mine = await front("alice.example.test", "/mine.txt");
    expect([mine.status, mine.body]).toEqual([200, "alice's own file\n"]);
    for (const [url, leak] of [
      ["/bob.txt", bobSecret],
      ["/bobdir/secret.txt", bobSecret],
      ["/passwd.txt", "root:x:0:0"],
      ["/passwd.php", "root:x:0:0"],
      ["/nginx.txt", "worker_processes"],
    ] as const) {
      const res = await front("alice.example.test", url);
      expect([403, 404], `${url}: ${res.status}`).toContain(res.status);
      expect(res.body, url).not.toContain(leak);
    }
  });

  it("still serves the site's own files and PHP, with the document root below the site directory", async () => {
    await put(bob, "site2", "web/html", "index.php", "<?php echo 'php ok';");
    expect(await front("bob.example.test", "/")).toMatchObject({ status: 200, body: "php ok" });
    expect(await front("alice.example.test", "/own.txt")).toMatchObject({ status: 200, body: "alice's own file\n" });
  });
});

describe("PHP's mail()", () => {
  it("queues the message in the account's own spool, which another account cannot read", async () => {
    const wrapper = await stat(node.sendmailPath);
    expect([wrapper.uid, wrapper.gid, wrapper.mode & 0o7777]).toEqual([0, 0, 0o755]);
    await put(
      alice,
      "site1",
      "public",
      "mail.php",
      `<?php
$big = str_repeat("x", ${maxMessageBytes} + 1000);
echo json_encode([
  'plain' => mail('someone@example.com', 'Hello', "Body marker 5c2e\\n", 'From: shop@alice.example.test'),
  'sender' => mail('someone@example.com', 'Bounce', "With a sender\\n", '', '-f bounce@alice.example.test'),
  'option' => mail('someone@example.com', 'Option', "Refused\\n", '', '-X /tmp/log'),
  'big' => mail('someone@example.com', 'Big', $big),
]);
`,
    );
    const res = await front("alice.example.test", "/mail.php");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ plain: true, sender: true, option: false, big: false });

    const messages = await spooledMessages(node, alice);
    expect(messages).toHaveLength(2);
    const texts = await Promise.all(messages.map((m) => readFile(m, "utf8")));
    expect(texts.join("\n")).toContain("Body marker 5c2e");
    expect(texts.join("\n")).toContain("To: someone@example.com");
    const user = (await lookupSystemUser(alice))!;
    for (const m of messages) {
      const s = await stat(m);
      expect([s.uid, s.mode & 0o777]).toEqual([user.uid, 0o600]);
      expect(path.basename(m)).toMatch(/^\d{8}T\d{6}Z\.[A-Za-z0-9]+\.eml$/);
    }
    expect(await spooledMessages(node, bob)).toEqual([]);

    // Only what succeeds prints: the test fails on any message or name bob can see.
    const peek = await asCustomer(bob, `cat ${messages[0]} 2>/dev/null; ls ${node.mailSpool(alice)} 2>/dev/null; ls ${node.mailSpoolRoot} 2>/dev/null; echo done`);
    expect(peek.out).toBe("done\n");
  });

  it("the wrapper refuses arguments it does not know and takes nothing from its environment", async () => {
    const run = await asCustomer(
      alice,
      [
        `echo 'Subject: x' | ${node.sendmailPath} -t -i -o /tmp/x; echo "unknown=$?"`,
        `echo 'Subject: x' | ${node.sendmailPath} -f 'a;id'; echo "address=$?"`,
        // A spool named in the environment is not where the message goes.
        `mkdir -p /tmp/elsewhere && echo 'Subject: env' | spool=/tmp/elsewhere PATH=/tmp ${node.sendmailPath} -t -i; echo "env=$?"; ls /tmp/elsewhere | wc -l`,
      ].join("; "),
    );
    expect(run.out).toContain("unknown=64");
    expect(run.out).toContain("address=64");
    expect(run.out).toMatch(/env=0\n0\n/);
    expect((await Promise.all((await spooledMessages(node, alice)).map((m) => readFile(m, "utf8")))).join("")).toContain("Subject: env");
  });
});

describe("native code as one account", () => {
  it("cannot read another account's files, pool config, the vhost listing, the node's logs, the store image or the scripts' secrets", async () => {
    expect(await mode(storeImage(node))).toBe(0o600);
    const varDir = path.join(scriptsRoot, "var");
    expect(await mode(varDir)).toBe(0o700);
    expect(await mode(path.join(varDir, "auth-secret"))).toBe(0o600);
    expect(await mode(path.join(varDir, "cluster-secret"))).toBe(0o600);

    const targets = [
      path.join(node.siteDir(bob, "site2"), "web/html/secret.txt"),
      node.poolFile(bob, "site2"),
      node.phpFpmConf(bob),
      node.vhostFile("site2"),
      path.join(node.logDir, "nginx-access.log"),
      storeImage(node),
      path.join(varDir, "auth-secret"),
      path.join(varDir, "cluster-secret"),
    ];
    const listings = [node.homeDir, node.vhostDir, node.poolsDir, node.phpSocketDir, node.logDir, path.join(node.root, "quota"), varDir, node.accountHome(bob)];
    const script = [
      ...targets.map((t) => `if cat ${t} >/dev/null 2>&1; then echo "READ ${t}"; fi`),
      ...listings.map((d) => `if ls ${d} >/dev/null 2>&1; then echo "LISTED ${d}"; fi`),
      // Its own home and spool still work.
      `ls ${node.accountHome(alice)} >/dev/null && echo own-home-ok`,
      `ls ${node.mailSpool(alice)} >/dev/null && echo own-spool-ok`,
    ].join("\n");
    const { out } = await asCustomer(alice, script);
    expect(out).not.toMatch(/READ|LISTED/);
    expect(out).toContain("own-home-ok");
    expect(out).toContain("own-spool-ok");
    // Root (outside the account) reads them: the files are there, the test is not vacuous.
    for (const t of targets) await expect(readFile(t)).resolves.toBeDefined();
  });
});
