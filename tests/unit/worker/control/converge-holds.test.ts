import { describe, expect, it } from "vitest";
import type { FailedStepResult } from "../../../../server/contract/node-apply";
import type { BuiltNodeSpec } from "../../../../worker/control/build-node-spec";
import { customerReason, holdsFor } from "../../../../worker/control/converge-holds";

// Which object a node's "does not converge" answer holds, and what its operation says.

const built: BuiltNodeSpec = {
  spec: { accounts: [], sites: [], databases: [] },
  objects: {
    sites: [{ id: "site1", generation: 3 }],
    databases: [{ id: "db1", generation: 2 }],
    accounts: [{ id: "acc1", generation: 5 }],
  },
};

const failed = (objects: FailedStepResult["objects"], nonConvergent = true, error = "site site1: its vhost does not read back as written; …"): FailedStepResult => ({
  step: "write vhost site1",
  kind: "installVhost",
  ok: false,
  error,
  objects,
  ...(nonConvergent ? { nonConvergent: true as const } : {}),
});

describe("holdsFor", () => {
  it("holds the site a non-converging step names, at the generation that was sent", () => {
    expect(holdsFor(built, [failed([{ kind: "site", id: "site1" }])])).toEqual([
      { kind: "site", id: "site1", generation: 3, reason: "site site1: its vhost does not read back as written; …" },
    ]);
  });

  it("holds the most specific object: the site of a store step, not its account", () => {
    const holds = holdsFor(built, [failed([{ kind: "account", id: "acc1" }, { kind: "site", id: "site1" }])]);
    expect(holds.map((h) => h.id)).toEqual(["site1"]);
    expect(holdsFor(built, [failed([{ kind: "account", id: "acc1" }, { kind: "database", id: "db1" }])]).map((h) => h.id)).toEqual(["db1"]);
    expect(holdsFor(built, [failed([{ kind: "account", id: "acc1" }])])).toMatchObject([{ kind: "account", id: "acc1", generation: 5 }]);
  });

  it("holds nothing for an ordinary failure, a node-wide one, or an object this spec does not converge", () => {
    expect(holdsFor(built, [failed([{ kind: "site", id: "site1" }], false)])).toEqual([]);
    expect(holdsFor(built, [failed([])])).toEqual([]);
    expect(holdsFor(built, [failed(undefined)])).toEqual([]);
    expect(holdsFor(built, [failed([{ kind: "site", id: "elsewhere" }])])).toEqual([]);
  });

  it("holds an object once however many of its steps did not converge", () => {
    expect(holdsFor(built, [failed([{ kind: "site", id: "site1" }]), failed([{ kind: "site", id: "site1" }], true, "pool")])).toHaveLength(1);
  });
});

describe("customerReason", () => {
  it("names no node, path or command, and says how to go on", () => {
    for (const reason of [customerReason("site"), customerReason("database", "account"), customerReason("account")]) {
      expect(reason).not.toMatch(/node|nginx|php-fpm|\/|vhost|conf/i);
      expect(reason).toMatch(/Retry it/);
    }
    expect(customerReason("site")).toMatch(/^This site could not be set up consistently/);
    expect(customerReason("database", "account")).toMatch(/^The hosting account this database belongs to/);
  });
});
