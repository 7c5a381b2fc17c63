import { beforeAll, describe, expect, it, vi } from "vitest";

// A deployment whose platform panel has a real name, not the local "localhost": set before the
// environment module is first read.
vi.hoisted(() => {
  process.env.PANEL_URL = "https://panel.platform.test";
});

import { db } from "../../../server/db";
import { clearBrandCache, resolveBrand } from "../../../server/services/brand/resolve-brand";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
  await db.node.create({ data: { name: "node-7.cluster.test", address: "192.0.2.7", agentPort: 1 } });
  await db.domain.create({ data: { accountId: w.customers.b.account.id, name: "shop.bravo.test", displayName: "shop.bravo.test" } });
});

let n = 0;
const login = () => ({ email: `owner-${++n}-${Math.random().toString(36).slice(2, 8)}@example.test`, name: "Owner" });

async function counts() {
  return {
    resellers: await db.reseller.count(),
    hostnames: await db.brandHostname.count(),
    users: await db.user.count(),
    audit: await db.auditEvent.count(),
  };
}

describe("reserved panel hostnames", () => {
  const refused: Array<[string, string, RegExp]> = [
    ["the platform's panel host", "panel.platform.test", /platform's own panel address/],
    ["a name under the platform's panel host", "x.panel.platform.test", /platform's own panel address/],
    ["a node's name", "node-7.cluster.test", /server of the cluster/],
    ["another account's domain", "shop.bravo.test", /website's address already in use/],
    ["a name under another tree's domain", "panel.shop.bravo.test", /website's address already in use/],
  ];
  for (const [what, hostname, message] of refused) {
    it(`refuses ${what} on create, as a field error, saving nothing`, async () => {
      const before = await counts();
      const f = await expectFailure(
        callerFor(w.users.resellerA).reseller.create({ name: "Grab", displayName: "Grab", hostnames: ["free.alpha.test", hostname], login: login() }),
      );
      expect(f.code).toBe("BAD_REQUEST");
      expect(Object.keys(f.fields)).toEqual(["hostnames.1"]);
      expect(f.fields["hostnames.1"]).toMatch(message);
      expect(await counts()).toEqual(before);
    });
  }

  it("refuses them on update too, keeping the old hostnames", async () => {
    await db.brandHostname.create({ data: { hostname: "panel.sub-alpha.test", resellerId: w.subA.id } });
    const f = await expectFailure(
      callerFor(w.users.resellerA).reseller.update({ id: w.subA.id, name: "Sub A", hostnames: ["panel.platform.test"] }),
    );
    expect(f.fields["hostnames.0"]).toMatch(/platform's own panel address/);
    expect((await db.brandHostname.findMany({ where: { resellerId: w.subA.id } })).map((h) => h.hostname)).toEqual(["panel.sub-alpha.test"]);
  });

  it("a node's name is refused whatever its case", async () => {
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.update({ id: w.resellerB.id, name: "Reseller B", hostnames: ["NODE-7.cluster.test"] }),
    );
    expect(f.fields["hostnames.0"]).toMatch(/server of the cluster/);
  });

  it("a reseller may put its panel under a domain of its own tree, never on the site's own name", async () => {
    const r = await callerFor(w.users.admin).reseller.update({ id: w.resellerB.id, name: "Reseller B", hostnames: ["panel.shop.bravo.test"] });
    expect(r.hostnames).toEqual(["panel.shop.bravo.test"]);
    const f = await expectFailure(
      callerFor(w.users.admin).reseller.update({ id: w.resellerB.id, name: "Reseller B", hostnames: ["shop.bravo.test"] }),
    );
    expect(f.fields["hostnames.0"]).toMatch(/website's address already in use/);
  });
});

describe("the platform's panel host as a website's domain", () => {
  it("is refused, with the domain above it and the names under it", async () => {
    for (const name of ["panel.platform.test", "platform.test", "x.panel.platform.test"]) {
      const f = await expectFailure(callerFor(w.users.customerA).domain.create({ name }));
      expect(f.code, name).toBe("BAD_REQUEST");
      expect(f.fields.name).toMatch(/control panel's or a cluster server's address/);
    }
    expect(await db.domain.count({ where: { name: { endsWith: "platform.test" } } })).toBe(0);
  });
});

describe("the platform's sign-in page", () => {
  it("shows the platform's brand even if a reseller row names the platform host", async () => {
    // A row written before the reservation existed.
    await db.brandHostname.create({ data: { hostname: "panel.platform.test", resellerId: w.resellerA.id } });
    clearBrandCache();
    const brand = await resolveBrand("panel.platform.test", null);
    expect(brand).toMatchObject({ resellerId: w.platform.id, isPlatform: true });
    await db.brandHostname.delete({ where: { hostname: "panel.platform.test" } });
  });
});
