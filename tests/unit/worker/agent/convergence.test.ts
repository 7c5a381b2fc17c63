import { describe, expect, it } from "vitest";
import { parseNodeSpec, type NodeSpec } from "../../../../server/contract/node-spec";
import { concernsSpecObject, nonConvergentSteps, reloadCause, reloadOf, RewriteCounter, rewrittenResult, stepKey, withoutHeld } from "../../../../worker/agent/convergence";
import type { Step } from "../../../../worker/agent/diff-node";

// The rules that keep a converge from looping: reloads only for a change made, a step wanted again
// right after it succeeded reported as not converging, held objects left alone.

const spec = (held: string[] = []): NodeSpec =>
  parseNodeSpec({
    accounts: [
      { id: "acc1", username: "alice", status: "ACTIVE" },
      { id: "acc2", username: "bob", status: "ACTIVE" },
    ],
    sites: [
      { id: "site1", accountId: "acc1", domains: ["a.example"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
      { id: "site2", accountId: "acc1", domains: ["b.example"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
      { id: "site3", accountId: "acc2", domains: ["c.example"], documentRoot: "public", phpSettings: {}, status: "ACTIVE" },
    ],
    databases: [{ id: "db1", accountId: "acc2", name: "bob_shop", users: [{ username: "bob_shop", password: "correct-horse-battery" }] }],
    held,
  });

const vhost = (siteId: string): Step => ({ kind: "installVhost", siteId, content: `server { # ${siteId} }` });
const pool = (siteId: string, username: string): Step => ({ kind: "installPool", siteId, username, content: `[${siteId}]` });
const reloadNginx: Step = { kind: "reloadNginx" };
const reloadAlice: Step = { kind: "reloadPhpFpm", username: "alice", sockets: ["site1", "site2"], goneSockets: [] };
const reloadBob: Step = { kind: "reloadPhpFpm", username: "bob", sockets: ["site3"], goneSockets: [] };

describe("reloadCause and reloadOf", () => {
  it("pair each config write with the one master that must reload for it", () => {
    expect(reloadCause(vhost("site1"))).toBe("nginx");
    expect(reloadCause({ kind: "writeNginxMain", content: "x" })).toBe("nginx");
    expect(reloadCause(pool("site1", "alice"))).toBe("php-fpm:alice");
    expect(reloadCause({ kind: "writePhpFpmMain", username: "bob", content: "x" })).toBe("php-fpm:bob");
    // Removing a master's config goes with stopping it, not a reload.
    expect(reloadCause({ kind: "writePhpFpmMain", username: "bob", content: null })).toBeNull();
    expect(reloadCause({ kind: "ensureSiteStore", siteId: "site1", username: "alice", documentRoot: "public" })).toBeNull();
    expect(reloadOf(reloadNginx)).toBe("nginx");
    expect(reloadOf(reloadAlice)).toBe("php-fpm:alice");
    expect(reloadOf({ kind: "startNginx" })).toBeNull();
  });
});

describe("stepKey", () => {
  it("is the same for the same step in two diffs, whatever its content, and differs by object", () => {
    expect(stepKey(vhost("site1"))).toBe(stepKey({ kind: "installVhost", siteId: "site1", content: "other" }));
    expect(stepKey(vhost("site1"))).not.toBe(stepKey(vhost("site2")));
    expect(stepKey(pool("site1", "alice"))).not.toBe(stepKey(pool("site1", "bob")));
    expect(stepKey({ kind: "ensureDatabase", name: "a" })).not.toBe(stepKey({ kind: "dropDatabase", name: "a" }));
  });
});

describe("withoutHeld", () => {
  const steps: Step[] = [
    { kind: "ensureSiteStore", siteId: "site1", username: "alice", documentRoot: "public" },
    pool("site1", "alice"),
    pool("site3", "bob"),
    reloadAlice,
    reloadBob,
    vhost("site1"),
    reloadNginx,
    { kind: "ensureDatabase", name: "bob_shop" },
  ];

  it("changes nothing when nothing is held", () => {
    expect(withoutHeld(steps, new Set(), spec())).toEqual(steps);
  });

  it("drops a held site's steps and the reloads only they caused", () => {
    expect(withoutHeld(steps, new Set(["site1"]), spec(["site1"]))).toEqual([pool("site3", "bob"), reloadBob, { kind: "ensureDatabase", name: "bob_shop" }]);
  });

  it("keeps a reload another object still causes", () => {
    const more = [...steps.slice(0, 3), pool("site2", "alice"), ...steps.slice(3)];
    expect(withoutHeld(more, new Set(["site1"]), spec(["site1"]))).toContain(reloadAlice);
  });

  it("drops a held account's own steps and a held database's", () => {
    const account: Step[] = [
      { kind: "ensureAccountCgroup", username: "bob", limits: { cpuPercent: 100, memoryMb: 512, pids: 64, ioWeight: 100, diskMb: 1024 } },
      { kind: "writePhpFpmMain", username: "bob", content: "x" },
      reloadBob,
      { kind: "ensureDatabase", name: "bob_shop" },
      vhost("site2"),
      reloadNginx,
    ];
    expect(withoutHeld(account, new Set(["acc2", "db1"]), spec(["acc2", "db1"]))).toEqual([vhost("site2"), reloadNginx]);
  });
});

describe("nonConvergentSteps", () => {
  it("reports a step that succeeded and is wanted again, naming its site", () => {
    const [found, ...rest] = nonConvergentSteps([vhost("site1"), vhost("site2"), reloadNginx], [vhost("site1"), reloadNginx], spec());
    expect(rest).toEqual([]);
    expect(found!.step).toEqual(vhost("site1"));
    expect(found!.result).toMatchObject({
      ok: false,
      kind: "installVhost",
      nonConvergent: true,
      objects: [{ kind: "site", id: "site1" }],
    });
    expect(found!.result.error).toMatch(/^site site1: its vhost does not read back as written; it does not converge/);
  });

  it("never reports a reload, only its cause", () => {
    expect(nonConvergentSteps([reloadNginx, reloadAlice], [reloadNginx, reloadAlice], spec())).toEqual([]);
  });

  it("ignores steps that were not taken this time, and a converged node", () => {
    expect(nonConvergentSteps([vhost("site2")], [vhost("site1")], spec())).toEqual([]);
    expect(nonConvergentSteps([vhost("site1"), pool("site1", "alice")], [], spec())).toEqual([]);
  });

  it("names the most specific object: the site of a store, the database; an account's own steps are left to the next reconcile", () => {
    const store: Step = { kind: "ensureSiteStore", siteId: "site3", username: "bob", documentRoot: "web/root" };
    const limits: Step = { kind: "ensureAccountCgroup", username: "bob", limits: { cpuPercent: 100, memoryMb: 512, pids: 64, ioWeight: 100, diskMb: 1024 } };
    const user: Step = { kind: "ensureAccount", accountId: "acc2", username: "bob" };
    const database: Step = { kind: "ensureDatabase", name: "bob_shop" };
    const found = nonConvergentSteps([store, limits, user, database], [store, limits, user, database], spec());
    expect(found.map((f) => f.result.error.split(";")[0])).toEqual([
      "site site3: its store (document root web/root) is still not in place after being made",
      `database bob_shop: "ensure database bob_shop" is still needed right after it succeeded`,
    ]);
    expect(found[0]!.result.objects).toEqual([
      { kind: "site", id: "site3" },
      { kind: "account", id: "acc2" },
    ]);
  });

  it("leaves a step with nothing to hold to the drift repair: a node-wide one, or one about an object the spec lacks", () => {
    const main: Step = { kind: "writeNginxMain", content: "x" };
    const stray: Step = { kind: "installVhost", siteId: "gone1", content: null };
    expect(nonConvergentSteps([main, stray], [main, stray], spec())).toEqual([]);
    expect(concernsSpecObject(main, spec())).toBe(false);
    expect(concernsSpecObject(stray, spec())).toBe(false);
    expect(concernsSpecObject(vhost("site1"), spec())).toBe(true);
    expect(concernsSpecObject({ kind: "ensureDatabase", name: "bob_shop" }, spec())).toBe(true);
  });
});

describe("RewriteCounter", () => {
  const minute = 60_000;

  it("fires on the third write of the same content within ten minutes, then counts afresh", () => {
    const counter = new RewriteCounter();
    expect(counter.written("n1", vhost("site1"), 0)).toBe(false);
    expect(counter.written("n1", vhost("site1"), 1 * minute)).toBe(false);
    expect(counter.written("n1", vhost("site1"), 2 * minute)).toBe(true);
    // A retry after the hold starts from one again.
    expect(counter.written("n1", vhost("site1"), 3 * minute)).toBe(false);
    expect(counter.written("n1", vhost("site1"), 4 * minute)).toBe(false);
  });

  it("forgets writes older than the window", () => {
    const counter = new RewriteCounter();
    counter.written("n1", vhost("site1"), 0);
    counter.written("n1", vhost("site1"), 6 * minute);
    expect(counter.written("n1", vhost("site1"), 11 * minute)).toBe(false);
    expect(counter.written("n1", vhost("site1"), 12 * minute)).toBe(true);
  });

  it("starts again on different content or a removal, and keeps objects and nodes apart", () => {
    const counter = new RewriteCounter();
    const suspended: Step = { kind: "installVhost", siteId: "site1", content: "suspended" };
    // Suspend and resume, again and again: each write differs from the one before.
    for (let i = 0; i < 6; i++) expect(counter.written("n1", i % 2 ? suspended : vhost("site1"), i)).toBe(false);
    counter.written("n1", vhost("site2"), 10);
    counter.written("n1", vhost("site2"), 11);
    expect(counter.written("n1", { kind: "installVhost", siteId: "site2", content: null }, 12)).toBe(false);
    expect(counter.written("n1", vhost("site2"), 13)).toBe(false);
    counter.written("n2", vhost("site3"), 0);
    counter.written("n2", vhost("site3"), 1);
    expect(counter.written("n3", vhost("site3"), 2)).toBe(false);
    expect(counter.written("n2", vhost("site3"), 3)).toBe(true);
  });

  it("counts only config writes that reload a master", () => {
    const counter = new RewriteCounter(2);
    const start: Step = { kind: "startPhpFpm", username: "alice", sockets: ["site1"] };
    const store: Step = { kind: "ensureSiteStore", siteId: "site1", username: "alice", documentRoot: "public" };
    for (const step of [start, store, reloadNginx]) {
      expect(counter.written("n1", step, 0)).toBe(false);
      expect(counter.written("n1", step, 1)).toBe(false);
    }
    counter.written("n1", pool("site1", "alice"), 0);
    expect(counter.written("n1", pool("site1", "alice"), 1)).toBe(true);
  });

  it("says what was rewritten and how often, naming the site", () => {
    const result = rewrittenResult(pool("site1", "alice"), spec(), new RewriteCounter());
    expect(result).toMatchObject({ ok: false, kind: "installPool", nonConvergent: true, objects: [{ kind: "site", id: "site1" }] });
    expect(result.error).toBe(
      "site site1: its php-fpm pool was written the same way 3 times in 10 minutes (something keeps changing it back); it does not converge, so it is not applied again.",
    );
  });
});
