import { describe, expect, it } from "vitest";
import {
  InvalidRoutesError,
  decide,
  mergeRouteTable,
  normaliseHost,
  parseRouteTable,
  type Route,
} from "../../../../worker/edge/route-table";

const a = { address: "127.0.20.1", port: 8080 };
const b = { address: "127.0.20.2", port: 8080 };
const route = (siteId: string, epoch: number, domains: string[], extra: Partial<Route> = {}): Route => ({
  siteId,
  domains,
  target: a,
  epoch,
  paused: false,
  ...extra,
});
const table = (...routes: Route[]) => parseRouteTable({ routes });

function issuesOf(input: unknown) {
  try {
    parseRouteTable(input);
  } catch (e) {
    if (e instanceof InvalidRoutesError) return e.issues;
    throw e;
  }
  throw new Error("expected the table to be refused");
}

describe("parseRouteTable", () => {
  it("accepts a table and puts it in canonical order (sites by id, domains sorted)", () => {
    const parsed = table(route("site2", 1, ["b.example.test", "a.example.test"]), route("site1", 3, ["c.example.test"], { paused: true }));
    expect(parsed.map((r) => r.siteId)).toEqual(["site1", "site2"]);
    expect(parsed[1]!.domains).toEqual(["a.example.test", "b.example.test"]);
    expect(parseRouteTable({ routes: [...parsed].reverse() })).toEqual(parsed);
  });

  it("keeps viaHold when set and treats viaHold: false as no viaHold at all", () => {
    expect(table(route("site1", 1, ["a.example.test"], { viaHold: true }))[0]).toHaveProperty("viaHold", true);
    expect(table(route("site1", 1, ["a.example.test"], { viaHold: false }))).toEqual(table(route("site1", 1, ["a.example.test"])));
    // Fencing is unchanged: an older epoch is refused with or without it.
    const merged = mergeRouteTable(table(route("site1", 2, ["a.example.test"])), table(route("site1", 1, ["a.example.test"], { viaHold: true })));
    expect(merged.stale).toEqual([{ siteId: "site1", have: 2, got: 1 }]);
    expect(decide(table(route("site1", 1, ["a.example.test"], { viaHold: true }))[0])).toEqual({ kind: "forward", siteId: "site1", target: a });
  });

  it("refuses a domain on two routes, a site twice, and a domain listed twice, naming each path", () => {
    expect(
      issuesOf({ routes: [route("site1", 1, ["x.example.test", "y.example.test"]), route("site2", 1, ["y.example.test"])] }),
    ).toEqual([
      { path: "routes.0.domains.1", message: 'Domain "y.example.test" is on more than one route.' },
      { path: "routes.1.domains.0", message: 'Domain "y.example.test" is on more than one route.' },
    ]);
    expect(issuesOf({ routes: [route("site1", 1, ["x.example.test"]), route("site1", 2, ["z.example.test"])] })).toEqual([
      { path: "routes.0.siteId", message: 'Site "site1" has more than one route.' },
      { path: "routes.1.siteId", message: 'Site "site1" has more than one route.' },
    ]);
    expect(issuesOf({ routes: [route("site1", 1, ["x.example.test", "x.example.test"])] })).toEqual([
      { path: "routes.0.domains", message: 'Domain "x.example.test" is listed twice.' },
    ]);
  });

  it("refuses anything that could break out of nginx's config, and bad targets and epochs", () => {
    const issues = issuesOf({
      routes: [
        {
          siteId: "Site;1",
          domains: ["evil.test;\n}", "UPPER.example.test"],
          target: { address: "127.0.20.1; include /etc/passwd", port: 70000 },
          epoch: 0,
          paused: "no",
          extra: 1,
        },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual([
      "routes.0.siteId",
      "routes.0.domains.0",
      "routes.0.domains.1",
      "routes.0.target.address",
      "routes.0.target.port",
      "routes.0.epoch",
      "routes.0.paused",
      "routes.0",
    ]);
    expect(issues.find((i) => i.path === "routes.0.domains.1")?.message).toBe('Must be the lower-case ASCII form "upper.example.test".');
    expect(issuesOf({})).toEqual([{ path: "routes", message: expect.any(String) }]);
    expect(issuesOf({ routes: Array.from({ length: 20_001 }, (_, i) => route(`s${i}`, 1, [`d${i}.example.test`])) })).toEqual([
      { path: "routes", message: "At most 20000 routes." },
    ]);
  });
});

describe("mergeRouteTable (fencing)", () => {
  it("accepts equal and higher epochs, refuses a lower one and keeps the held entry", () => {
    const current = table(route("site1", 5, ["one.example.test"], { target: a }), route("site2", 2, ["two.example.test"]));
    const incoming = table(
      route("site1", 4, ["one.example.test"], { target: b }),
      route("site2", 2, ["two.example.test"], { paused: true }),
      route("site3", 1, ["three.example.test"]),
    );
    const merged = mergeRouteTable(current, incoming);
    expect(merged.stale).toEqual([{ siteId: "site1", have: 5, got: 4 }]);
    expect(merged.conflicts).toEqual([]);
    expect(merged.table).toEqual([
      route("site1", 5, ["one.example.test"], { target: a }),
      route("site2", 2, ["two.example.test"], { paused: true }),
      route("site3", 1, ["three.example.test"]),
    ]);
    expect(mergeRouteTable(merged.table, table(route("site1", 6, ["one.example.test"], { target: b }))).table).toEqual([
      route("site1", 6, ["one.example.test"], { target: b }),
    ]);
  });

  it("removes sites absent from the new table, whatever their epoch", () => {
    const current = table(route("site1", 9, ["one.example.test"]), route("site2", 1, ["two.example.test"]));
    expect(mergeRouteTable(current, table(route("site2", 1, ["two.example.test"])))).toEqual({
      table: table(route("site2", 1, ["two.example.test"])),
      stale: [],
      conflicts: [],
    });
    expect(mergeRouteTable(current, [])).toEqual({ table: [], stale: [], conflicts: [] });
  });

  it("refuses an accepted entry that takes a domain a fenced entry still holds, down the chain", () => {
    // site1 is fenced and keeps "one"; site2 wants "one" (refused, keeps its old "two"); site3
    // wants "two", which site2 still holds now (refused too, it had no entry so it has none).
    const current = table(route("site1", 5, ["one.example.test"]), route("site2", 1, ["two.example.test"]));
    const incoming = table(
      route("site1", 4, ["uno.example.test"]),
      route("site2", 2, ["one.example.test"]),
      route("site3", 1, ["two.example.test"]),
      route("site4", 1, ["four.example.test"]),
    );
    const merged = mergeRouteTable(current, incoming);
    expect(merged.stale).toEqual([{ siteId: "site1", have: 5, got: 4 }]);
    expect(merged.conflicts).toEqual([
      { siteId: "site2", domain: "one.example.test", heldBy: "site1" },
      { siteId: "site3", domain: "two.example.test", heldBy: "site2" },
    ]);
    expect(merged.table).toEqual(
      table(route("site1", 5, ["one.example.test"]), route("site2", 1, ["two.example.test"]), route("site4", 1, ["four.example.test"])),
    );
    const domains = merged.table.flatMap((r) => r.domains);
    expect(new Set(domains).size).toBe(domains.length);
  });

  it("is deterministic: the same inputs in another order give the same table", () => {
    const current = table(route("site1", 5, ["one.example.test"]), route("site2", 1, ["two.example.test"]));
    const incoming = [route("site3", 1, ["three.example.test"]), route("site1", 6, ["one.example.test"]), route("site2", 1, ["two.example.test"])];
    const forward = mergeRouteTable(current, parseRouteTable({ routes: incoming }));
    const backward = mergeRouteTable([...current].reverse(), parseRouteTable({ routes: [...incoming].reverse() }));
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
  });
});

describe("decide and normaliseHost", () => {
  it("holds a paused site, forwards a live one, and treats no target as unknown", () => {
    expect(decide(undefined)).toEqual({ kind: "unknown" });
    expect(decide(route("site1", 1, ["x.example.test"], { paused: true, target: null }))).toEqual({ kind: "hold", siteId: "site1" });
    expect(decide(route("site1", 1, ["x.example.test"], { target: null }))).toEqual({ kind: "unknown" });
    expect(decide(route("site1", 1, ["x.example.test"]))).toEqual({ kind: "forward", siteId: "site1", target: a });
  });

  it("reads a Host header as nginx's $host does", () => {
    expect(normaliseHost("Shop.Example.Test:8080")).toBe("shop.example.test");
    expect(normaliseHost("shop.example.test.")).toBe("shop.example.test");
    expect(normaliseHost(undefined)).toBe("");
  });
});
