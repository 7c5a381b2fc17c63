import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { converge } from "../../../worker/agent/converge";
import { installVhost, reloadNginx } from "../../../worker/agent/drivers/nginx";
import { installPool, reloadPhpFpm, renderPool } from "../../../worker/agent/drivers/php-fpm";
import { runCommand } from "../../../worker/agent/run-command";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { waitFor } from "../../../worker/agent/wait-for";
import { backendGet, destroyNode, makeNode, uniqueUsername, whoamiPhp } from "./node-harness";

// One bad site never breaks the others: a config that nginx -t or php-fpm -t rejects is rolled
// back to the previous file before any reload, and the sites already served keep being served.

let node: NodeRoot;
const alice = uniqueUsername("ra");
const bob = uniqueUsername("rb");
const sites = [
  { id: "good1", username: alice, host: "one.example.test" },
  { id: "good2", username: bob, host: "two.example.test" },
];

const spec = () => ({
  accounts: [
    { id: "acc1", username: alice, status: "ACTIVE" },
    { id: "acc2", username: bob, status: "ACTIVE" },
  ],
  sites: sites.map((s, i) => ({
    id: s.id,
    accountId: `acc${i + 1}`,
    domains: [s.host],
    documentRoot: "public",
    phpSettings: {},
    status: "ACTIVE",
  })),
  databases: [],
});

async function expectServing(): Promise<void> {
  for (const site of sites) {
    const res = await waitFor(`${site.host} to serve PHP`, async () => {
      const r = await backendGet(node, site.host, "/whoami.php");
      return r.status === 200 ? r : undefined;
    });
    expect(res.body).toBe(`user=${site.username}`);
  }
}

beforeAll(async () => {
  node = await makeNode("127.0.10.2", 18102, 13102);
  const results = await converge(node, spec());
  expect(results.filter((r) => !r.ok)).toEqual([]);
  for (const site of sites) {
    await writeFile(path.join(node.siteDir(site.username, site.id), "public", "whoami.php"), whoamiPhp);
  }
  await expectServing();
}, 60_000);

afterAll(async () => {
  await destroyNode(node);
}, 60_000);

describe("checked config writes", () => {
  it("rolls back a vhost that breaks nginx -t, new or replacing one, and the other sites still serve", async () => {
    const broken = `server {\n    listen ${node.address}:${node.backendPort};\n    server_name bad.example.test;\n    no_such_directive on;\n}\n`;
    await expect(installVhost(node, "bad1", broken)).rejects.toThrow(/unknown directive "no_such_directive"/);
    await expect(readFile(node.vhostFile("bad1"), "utf8")).rejects.toThrow(/ENOENT/);

    const before = await readFile(node.vhostFile("good1"), "utf8");
    await expect(installVhost(node, "good1", broken)).rejects.toThrow(/no_such_directive/);
    expect(await readFile(node.vhostFile("good1"), "utf8")).toBe(before);

    await runCommand("/usr/sbin/nginx", ["-t", "-q", "-c", node.nginxConf]);
    await reloadNginx(node);
    await expectServing();
    expect(await converge(node, spec())).toEqual([]);
  });

  it("rolls back a pool that breaks php-fpm -t, and the other sites still run PHP", async () => {
    const pool = renderPool(node, {
      siteId: "bad2",
      username: "nosuchuser",
      siteDir: node.siteDir("nosuchuser", "bad2"),
      siteTmpDir: node.siteTmpDir("nosuchuser", "bad2"),
      phpSettings: {},
      sendmailPath: node.sendmailPath,
    });
    // In alice's master: her php-fpm -t fails on the unknown user, and her sites keep running.
    await expect(installPool(node, alice, "bad2", pool)).rejects.toThrow(/nosuchuser/);
    await expect(readFile(node.poolFile(alice, "bad2"), "utf8")).rejects.toThrow(/ENOENT/);

    await reloadPhpFpm(node, alice);
    await expectServing();
    expect(await converge(node, spec())).toEqual([]);
  });

  it("repairs a hand-broken vhost on the next converge without ever reloading the broken file", async () => {
    await writeFile(node.vhostFile("good2"), "server { this is not nginx\n");
    const results = await converge(node, spec());
    expect(results).toEqual([
      { step: "write vhost good2", kind: "installVhost", ok: true },
      { step: "reload nginx", kind: "reloadNginx", ok: true },
    ]);
    await expectServing();
  });

  it("refuses to take over a system user that Shoal did not create, and gives that site no pool or vhost", async () => {
    const foreign = uniqueUsername("rf");
    await runCommand("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", foreign]);
    try {
      const withForeign = spec();
      withForeign.accounts.push({ id: "acc3", username: foreign, status: "ACTIVE" });
      withForeign.sites.push({
        id: "foreign1",
        accountId: "acc3",
        domains: ["three.example.test"],
        documentRoot: "public",
        phpSettings: {},
        status: "ACTIVE",
      });
      const results = await converge(node, withForeign);
      const failed = Object.fromEntries(results.filter((r) => !r.ok).map((r) => [r.kind, r.ok ? "" : r.error]));
      expect(Object.keys(failed).sort()).toEqual([
        "ensureAccount",
        "ensureAccountCgroup",
        "ensureSiteStore",
        "installPool",
        "installVhost",
        "startPhpFpm",
        "writePhpFpmMain",
      ]);
      expect(failed.ensureAccount).toMatch(new RegExp(`"${foreign}" already exists and is not Shoal account acc3`));
      expect(failed.ensureSiteStore).toMatch(/^Skipped: account/);
      expect(failed.installPool).toMatch(/^Skipped: account/);
      expect(failed.installVhost).toMatch(/^Skipped: account/);
      await expect(readFile(node.poolFile(foreign, "foreign1"), "utf8")).rejects.toThrow(/ENOENT/);
      await expectServing();
      expect((await readFile("/etc/passwd", "utf8")).split("\n").find((l) => l.startsWith(`${foreign}:`))).not.toMatch(/Shoal/);
    } finally {
      await runCommand("/usr/sbin/userdel", [foreign]);
    }
  });
});
