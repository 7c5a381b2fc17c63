import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderVhost } from "../../../../worker/agent/drivers/nginx";
import { renderSendmail } from "../../../../worker/agent/drivers/sendmail";
import { nodeRoot } from "../../../../worker/agent/node-root";

const node = nodeRoot({ root: "/var/lib/shoal/nodes/node-1", address: "127.0.1.1", httpPort: 80, mysqlPort: 3306 });
const site = {
  siteId: "site1",
  domains: ["shop.example.test"],
  siteDir: node.siteDir("alice", "site1"),
  documentRoot: "web/html",
};

describe("the symlink rule in a vhost", () => {
  it("follows a link below the site directory only to a file of the link's owner", () => {
    const vhost = renderVhost(node, { ...site, status: "ACTIVE" });
    expect(vhost).toContain(`root ${site.siteDir}/web/html;`);
    expect(vhost).toContain(`disable_symlinks if_not_owner from=${site.siteDir};`);
  });

  it("is not needed where no file of the site is served", () => {
    expect(renderVhost(node, { ...site, status: "SUSPENDED" })).not.toContain("disable_symlinks");
  });
});

describe("the sendmail wrapper", () => {
  const script = renderSendmail(node);

  it("is a valid sh program that queues under the node's spool", () => {
    expect(() => execFileSync("/bin/sh", ["-n", "-c", script])).not.toThrow();
    expect(script).toContain(`spool='${node.mailSpoolRoot}'`);
  });

  it("reads no variable it did not set itself, and never evaluates its arguments", () => {
    const set = new Set(["PATH", "IFS", "LC_ALL", "max", "limit", "spool", "addr", "user", "dir", "count", "tmp", "size", "name"]);
    const used = [...script.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
    expect(used.filter((v) => !set.has(v))).toEqual([]);
    expect(script).not.toMatch(/\beval\b|\bsource\b|^\s*\.\s/m);
  });
});
