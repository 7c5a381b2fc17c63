import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepAccount } from "../../../worker/agent/account-sweeper";
import { converge } from "../../../worker/agent/converge";
import { accountPids } from "../../../worker/agent/drivers/cgroup";
import { phpFpmPid, reloadPhpFpm } from "../../../worker/agent/drivers/php-fpm";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { waitFor } from "../../../worker/agent/wait-for";
import { connectPhp, putSiteFile, runAsCustomer } from "../../helpers/customer-code";
import { backendGet, destroyNode, makeNode, uniqueUsername } from "./node-harness";

// What one account's processes can reach on a real node: its PHP (through the node's nginx and
// its own php-fpm master) and, as if the customer had native code running, a shell as its user
// started the way the agent starts everything of an account (confinedCommand). Each attempt is an
// attack a customer could make; each must fail while the site keeps working.

let node: NodeRoot;
const alice = uniqueUsername("ca");
const bob = uniqueUsername("cb");
const limits = { cpuPercent: 50, memoryMb: 96, pids: 24, ioWeight: 100, diskMb: 200 };
// A loopback service that only the test (root, outside any account) may reach.
let platformService: net.Server;
const platformPort = 18299;

const spec = (php: Record<string, string> = {}) => ({
  accounts: [
    { id: "acc1", username: alice, status: "ACTIVE", limits },
    { id: "acc2", username: bob, status: "ACTIVE", limits },
  ],
  sites: [
    { id: "site1", accountId: "acc1", domains: ["alice.example.test"], documentRoot: "public", phpSettings: php, status: "ACTIVE" },
    { id: "site2", accountId: "acc2", domains: ["bob.example.test"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
  ],
  databases: [{ id: "db1", accountId: "acc1", name: `${alice}_app`, users: [{ username: `${alice}_app`, password: "correct-horse-battery-staple" }] }],
});

const putPhp = (username: string, siteId: string, name: string, source: string) => putSiteFile(node, username, siteId, name, source);
const asCustomer = (username: string, script: string, timeoutMs?: number) => runAsCustomer(node, username, script, timeoutMs);

beforeAll(async () => {
  node = await makeNode("127.0.28.1", 18281, 13281, { backendPort: 18282, holdPort: 18283 });
  platformService = net.createServer((socket) => {
    socket.on("error", () => undefined);
    socket.end("platform secret\n");
  });
  await new Promise<void>((resolve) => platformService.listen(platformPort, "127.0.0.1", resolve));
  const results = await converge(node, spec());
  expect(results.filter((r) => !r.ok)).toEqual([]);
  await putPhp(alice, "site1", "connect.php", connectPhp);
}, 120_000);

afterAll(async () => {
  platformService?.close();
  if (node) await destroyNode(node);
}, 120_000);

describe("a site's processes on a real node", () => {
  it("PHP reaches its node's MariaDB and nothing else on loopback: Postgres, Redis, the system MariaDB, the node's own backend and agent ports, a platform service", async () => {
    const targets = [
      `${node.address}:${node.mysqlPort}`,
      "127.0.0.1:5432",
      "127.0.0.1:6379",
      "127.0.0.1:3306",
      `${node.address}:${node.backendPort}`,
      `${node.address}:${node.httpPort}`,
      `127.0.0.1:${platformPort}`,
    ];
    const res = await backendGet(node, "alice.example.test", `/connect.php?to=${targets.join(",")}`);
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as Record<string, string>;
    expect(seen[targets[0]!]).toBe("connected");
    for (const target of targets.slice(1)) expect(seen[target], target).toMatch(/^refused/);
    // Root outside the account is not confined: the same service answers it.
    await new Promise<void>((resolve, reject) => net.connect(platformPort, "127.0.0.1").on("connect", function (this: net.Socket) {
      this.destroy();
      resolve();
    }).on("error", reject));
  });

  it("native code as the account sees no platform socket, only its own processes, and a /tmp of its own", async () => {
    const { out } = await asCustomer(
      alice,
      [
        "ls -A /run/postgresql /run/mysqld /var/lib/postgresql 2>&1 | tr '\\n' ' '; echo",
        "echo procs=$(ls /proc | grep -c '^[0-9]')",
        "echo others=$(for p in /proc/[0-9]*; do stat -c %U $p 2>/dev/null; done | sort -u | tr '\\n' ' ')",
        "echo tmp=$(ls -A /tmp | wc -l) shm=$(ls -A /dev/shm | wc -l)",
        "(echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null && echo pg=open || echo pg=refused",
      ].join("; "),
    );
    expect(out).not.toContain(".s.PGSQL");
    expect(out).toContain(`others=${alice}\n`);
    expect(out).toMatch(/tmp=0 shm=0/);
    expect(out).toContain("pg=refused");
  });

  it("the plan's memory and process limits hold for everything the account starts", async () => {
    // 300 MB in one process: the group's 96 MB limit stops it.
    const memory = await asCustomer(alice, "perl -e '$x = \"a\" x 300000000; print length($x)' >/dev/null 2>&1; echo exit=$?");
    expect(memory.out).not.toMatch(/exit=0\b/);
    // A fork loop: the group's pids limit (24) stops it well before 200.
    const forks = await asCustomer(
      alice,
      `perl -e 'my @kids; for (1..200) { my $p = fork(); last unless defined $p; if ($p == 0) { sleep 20; exit 0 } push @kids, $p } print "started=", scalar(@kids), "\\n"; kill 9, @kids'`,
      30_000,
    );
    const started = Number(/started=(\d+)/.exec(forks.out)?.[1] ?? "999");
    expect(started).toBeLessThan(limits.pids);
    expect(started).toBeGreaterThan(0);
  }, 60_000);

  it("a process left running after its request is stopped, in this account's group only", async () => {
    await asCustomer(alice, "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo started");
    await waitFor("the orphan to show in the group", async () => (await accountPids(node, alice)).length > 1);
    const bobBefore = await accountPids(node, bob);
    expect(await sweepAccount(node, alice)).toBeGreaterThanOrEqual(1);
    await waitFor("only the master left", async () => {
      const { out } = await asCustomer(alice, "pgrep -u $(id -u) -x sleep | wc -l");
      return out.trim() === "0";
    });
    expect(await accountPids(node, bob)).toEqual(bobBefore);
  }, 30_000);

  it("a long request survives ten reloads of its own master, and another account's request is not touched", async () => {
    await putPhp(alice, "site1", "slow.php", "<?php usleep(2500000); echo 'finished';");
    await putPhp(bob, "site2", "slow.php", "<?php usleep(2500000); echo 'finished';");
    const aliceSlow = backendGet(node, "alice.example.test", "/slow.php");
    const bobSlow = backendGet(node, "bob.example.test", "/slow.php");
    await new Promise((r) => setTimeout(r, 300));
    const master = await phpFpmPid(node, alice);
    for (let i = 0; i < 10; i++) {
      await reloadPhpFpm(node, alice);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [a, b] = await Promise.all([aliceSlow, bobSlow]);
    expect([a.status, a.body]).toEqual([200, "finished"]);
    expect([b.status, b.body]).toEqual([200, "finished"]);
    // The master runs in the foreground: a reload execs it in place, so its pid (the one the
    // sweeper spares) never changes, and the sweeper had nothing to stop meanwhile.
    expect(await phpFpmPid(node, alice)).toBe(master);
    expect(await sweepAccount(node, alice)).toBe(0);
    // And a converge that changes one pool reloads only that account's master.
    const results = await converge(node, spec({ memory_limit: "64M" }));
    expect(results.filter((r) => r.kind === "reloadPhpFpm" || r.kind === "startPhpFpm").map((r) => r.step)).toEqual([`reload php-fpm of ${alice}`]);
  }, 60_000);
});
