import { describe, expect, it } from "vitest";
import { targetSpecAfterMove, withViaHold } from "../../../../server/domain/move-steps";

describe("withViaHold", () => {
  it("sends only the moving site's route through the hold services and leaves the rest as they are", () => {
    const routes = [
      { siteId: "a", domains: ["a.test"], target: null, epoch: 1, paused: false },
      { siteId: "b", domains: ["b.test"], target: { address: "127.0.20.1", port: 8080 }, epoch: 3, paused: true },
    ];
    const out = withViaHold(routes, "b");
    expect(out[0]).toBe(routes[0]);
    expect(out[1]).toEqual({ ...routes[1], viaHold: true });
    expect(routes[1]).not.toHaveProperty("viaHold");
    expect(withViaHold(routes, "nobody")).toEqual(routes);
  });
});

describe("targetSpecAfterMove", () => {
  type Spec = {
    accounts: { id: string; username: string; status: string }[];
    sites: { id: string; accountId: string; domains: string[] }[];
    databases: { id: string; accountId: string; name: string; users: never[] }[];
    replicas?: { siteId: string; accountId: string }[];
  };
  const account = (id: string) => ({ id, username: `u${id}`, status: "ACTIVE" });
  const onSource: Spec = {
    accounts: [account("acc1"), account("acc2")],
    sites: [
      { id: "site1", accountId: "acc1", domains: ["one.test"] },
      { id: "site2", accountId: "acc2", domains: ["two.test"] },
    ],
    databases: [
      { id: "db1", accountId: "acc1", name: "uacc1_wp", users: [] },
      { id: "db2", accountId: "acc2", name: "uacc2_wp", users: [] },
    ],
  };
  const onTarget: Spec = {
    accounts: [account("acc1"), account("acc3")],
    sites: [{ id: "site3", accountId: "acc3", domains: ["three.test"] }],
    databases: [{ id: "db3", accountId: "acc3", name: "uacc3_wp", users: [] }],
    replicas: [
      { siteId: "site1", accountId: "acc1" },
      { siteId: "site9", accountId: "acc1" },
    ],
  };

  it("adds the site and its databases as the source has them and drops it from the replicas", () => {
    const spec = targetSpecAfterMove(onTarget, onSource, "site1", ["uacc1_wp"]);
    expect(spec.sites.map((s) => s.id)).toEqual(["site3", "site1"]);
    expect(spec.sites[1]).toBe(onSource.sites[0]);
    expect(spec.databases.map((d) => d.name)).toEqual(["uacc3_wp", "uacc1_wp"]);
    expect(spec.replicas).toEqual([{ siteId: "site9", accountId: "acc1" }]);
    // The account was already there (a replica needs it): not twice.
    expect(spec.accounts.map((a) => a.id)).toEqual(["acc1", "acc3"]);
    // The inputs are not changed.
    expect(onTarget.sites).toHaveLength(1);
  });

  it("brings the account when the target does not have it yet, and replaces a stale copy of the site", () => {
    const stale: Spec = { ...onTarget, sites: [...onTarget.sites, { id: "site2", accountId: "acc2", domains: ["old.test"] }] };
    const spec = targetSpecAfterMove(stale, onSource, "site2", ["uacc2_wp"]);
    expect(spec.accounts.map((a) => a.id)).toEqual(["acc1", "acc3", "acc2"]);
    expect(spec.sites.filter((s) => s.id === "site2")).toEqual([onSource.sites[1]]);
  });

  it("says what is missing instead of sending a spec without the site or its database", () => {
    expect(() => targetSpecAfterMove(onTarget, onSource, "site7", [])).toThrow("Site site7 is not in its live node's spec");
    expect(() => targetSpecAfterMove(onTarget, onSource, "site1", ["uacc1_other"])).toThrow("Database uacc1_other of site site1 is not in its live node's spec.");
    expect(() => targetSpecAfterMove(onTarget, { ...onSource, accounts: [] }, "site1", [])).toThrow("The account of site site1 is not in its live node's spec.");
  });
});
