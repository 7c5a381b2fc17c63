import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "../../../server/db";
import { normaliseHost } from "../../../server/http/request-host";
import { clearBrandCache, resolveBrand } from "../../../server/services/brand/resolve-brand";
import { authFor, makeWorld } from "../../helpers/fixtures";

let world: Awaited<ReturnType<typeof makeWorld>>;

beforeAll(async () => {
  world = await makeWorld();
  await db.brand.update({
    where: { resellerId: world.resellerA.id },
    data: { displayName: "Alpha Hosting", primaryColor: "#1d4ed8", supportEmail: "help@alpha.test" },
  });
  await db.brand.update({ where: { resellerId: world.resellerB.id }, data: { displayName: "Bravo Web" } });
  await db.brand.update({ where: { resellerId: world.subA.id }, data: { displayName: "Sub Alpha" } });
  await db.brandHostname.create({ data: { hostname: "panel.bravo.test", resellerId: world.resellerB.id } });
});

afterEach(() => {
  clearBrandCache();
  vi.useRealTimers();
});

describe("resolveBrand", () => {
  it("uses the platform root's brand for an anonymous visitor on an unknown host", async () => {
    const brand = await resolveBrand("localhost:3000", null);
    expect(brand).toMatchObject({ resellerId: world.platform.id, displayName: "Shoal", isPlatform: true, logoUrl: null });
  });

  it("uses the signed-in user's reseller when the host is not a brand host", async () => {
    const brand = await resolveBrand("localhost", authFor(world.users.customerA));
    expect(brand).toEqual({
      resellerId: world.resellerA.id,
      displayName: "Alpha Hosting",
      primaryColor: "#1d4ed8",
      accentColor: "#f59e0b",
      logoUrl: null,
      supportEmail: "help@alpha.test",
      isPlatform: false,
    });
    // A sub-reseller's customer sees the sub-reseller, not its parent.
    expect((await resolveBrand(null, authFor(world.users.customerSubA))).displayName).toBe("Sub Alpha");
    // An admin belongs to the platform root.
    expect(await resolveBrand(null, authFor(world.users.admin))).toMatchObject({ isPlatform: true });
  });

  it("lets the request's host win over the signed-in user's reseller", async () => {
    const brand = await resolveBrand("Panel.Bravo.TEST:8443", authFor(world.users.customerA));
    expect(brand).toMatchObject({ resellerId: world.resellerB.id, displayName: "Bravo Web", isPlatform: false });
    expect(await resolveBrand("panel.bravo.test", null)).toMatchObject({ resellerId: world.resellerB.id });
  });

  it("falls through when the host's reseller has no brand row", async () => {
    const orphan = await db.reseller.create({
      data: { id: "rorphan", name: "No Brand", parentId: world.platform.id, path: `${world.platform.path}rorphan/` },
    });
    await db.brandHostname.create({ data: { hostname: "panel.nobrand.test", resellerId: orphan.id } });
    expect((await resolveBrand("panel.nobrand.test", authFor(world.users.customerB))).displayName).toBe("Bravo Web");
    expect(await resolveBrand("panel.nobrand.test", null)).toMatchObject({ resellerId: world.platform.id });
  });

  it("gives a cache-busting logo URL only when a logo is stored", async () => {
    const updatedAt = new Date("2026-01-02T03:04:05.678Z");
    await db.brand.update({
      where: { resellerId: world.resellerB.id },
      data: { logoPng: Buffer.from([0x89, 0x50, 0x4e, 0x47]), logoUpdatedAt: updatedAt },
    });
    const brand = await resolveBrand("panel.bravo.test", null);
    expect(brand.logoUrl).toBe(`/brand-logo/${world.resellerB.id}?v=${updatedAt.getTime()}`);
    await db.brand.update({ where: { resellerId: world.resellerB.id }, data: { logoPng: null } });
    clearBrandCache();
    expect((await resolveBrand("panel.bravo.test", null)).logoUrl).toBeNull();
  });

  it("serves from its cache briefly, then shows a brand edit within five seconds", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-01T10:00:00Z"));
    expect((await resolveBrand(null, authFor(world.users.resellerB))).displayName).toBe("Bravo Web");
    await db.brand.update({ where: { resellerId: world.resellerB.id }, data: { displayName: "Bravo Renamed" } });
    expect((await resolveBrand(null, authFor(world.users.resellerB))).displayName).toBe("Bravo Web");
    vi.setSystemTime(new Date("2026-03-01T10:00:05Z"));
    expect((await resolveBrand(null, authFor(world.users.resellerB))).displayName).toBe("Bravo Renamed");
  });
});

describe("normaliseHost", () => {
  it("strips the port, lower-cases, and rejects junk", () => {
    expect(normaliseHost("Panel.Example.COM:3000")).toBe("panel.example.com");
    expect(normaliseHost("example.com.")).toBe("example.com");
    expect(normaliseHost("[::1]:3000")).toBe("::1");
    expect(normaliseHost("evil.test/../x")).toBeNull();
    expect(normaliseHost("")).toBeNull();
    expect(normaliseHost(null)).toBeNull();
  });
});
