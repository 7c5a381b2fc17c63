import { describe, expect, it } from "vitest";
import { parseNodeSpec } from "../../../../server/contract/node-spec";
import { stepObjects } from "../../../../worker/agent/diff-node";

// A failed step names the spec objects it concerns, by kind and spec id, so the control plane can
// record every other object as converged.

const spec = parseNodeSpec({
  accounts: [
    { id: "acc1", username: "alice", status: "ACTIVE" },
    { id: "acc2", username: "bob", status: "ACTIVE" },
  ],
  sites: [{ id: "site1", accountId: "acc1", domains: ["example.com"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" }],
  databases: [
    { id: "db1", accountId: "acc1", name: "alice_shop", users: [{ username: "alice_shop", password: "correct-horse-battery" }] },
    { id: "db2", accountId: "acc1", name: "alice_blog", users: [{ username: "alice_blogger", password: "correct-horse-battery" }] },
  ],
});

describe("stepObjects", () => {
  it("names a site step's site, and its account where the step has one", () => {
    expect(stepObjects({ kind: "installVhost", siteId: "site1", content: "x" }, spec)).toEqual([{ kind: "site", id: "site1" }]);
    expect(stepObjects({ kind: "ensureSiteStore", siteId: "site1", username: "alice", documentRoot: "public" }, spec)).toEqual([
      { kind: "site", id: "site1" },
      { kind: "account", id: "acc1" },
    ]);
    expect(stepObjects({ kind: "refuseSiteMove", siteId: "site1", from: "bob", to: "alice" }, spec)).toEqual([
      { kind: "site", id: "site1" },
      { kind: "account", id: "acc1" },
      { kind: "account", id: "acc2" },
    ]);
    // The site is gone from the spec; its id still says which one.
    expect(stepObjects({ kind: "removeSiteStore", siteId: "old1", username: "carol" }, spec)).toEqual([{ kind: "site", id: "old1" }]);
  });

  it("names accounts and databases by their spec ids, not their names", () => {
    expect(stepObjects({ kind: "ensureAccount", accountId: "acc2", username: "bob" }, spec)).toEqual([{ kind: "account", id: "acc2" }]);
    expect(stepObjects({ kind: "ensureDatabase", name: "alice_blog" }, spec)).toEqual([{ kind: "database", id: "db2" }]);
    expect(stepObjects({ kind: "setDatabaseUserLock", username: "alice_shop", locked: true }, spec)).toEqual([{ kind: "database", id: "db1" }]);
    expect(stepObjects({ kind: "ensureDatabaseUser", username: "alice_blogger", password: "x", database: "alice_shop" }, spec)).toEqual([
      { kind: "database", id: "db1" },
      { kind: "database", id: "db2" },
    ]);
    expect(stepObjects({ kind: "dropDatabase", name: "alice_gone" }, spec)).toEqual([]);
  });

  it("names nothing for a step of the whole node", () => {
    for (const kind of ["writeNginxMain", "startNginx", "reloadNginx", "startMariadb"] as const) {
      expect(stepObjects(kind === "writeNginxMain" ? { kind, content: "" } : { kind }, spec)).toEqual([]);
    }
    expect(stepObjects({ kind: "applyEgressRules", content: "" }, spec)).toEqual([]);
    // An account's own master concerns that account.
    expect(stepObjects({ kind: "reloadPhpFpm", username: "bob", sockets: [], goneSockets: [] }, spec)).toEqual([{ kind: "account", id: "acc2" }]);
  });
});
