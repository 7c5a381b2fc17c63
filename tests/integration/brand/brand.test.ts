import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { expectFailure } from "../../helpers/expect-failure";

type World = Awaited<ReturnType<typeof makeWorld>>;
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

const valid = {
  displayName: "Reseller A Hosting",
  primaryColor: "#1D4ED8",
  accentColor: "#fbbf24",
  nameservers: ["ns1.reseller-a.test", "NS2.reseller-a.test"],
  supportEmail: "Help@Reseller-A.test",
  emailSenderName: "Reseller A Support",
};

async function snapshot(resellerId: string) {
  return {
    brand: await db.brand.findUniqueOrThrow({ where: { resellerId }, omit: { logoPng: true } }),
    audit: await db.auditEvent.count(),
    outbox: await db.outboxEvent.count(),
  };
}

describe("brand.get", () => {
  it("reads the caller's own brand, a descendant's, and for an admin any", async () => {
    const own = await callerFor(w.users.resellerA).brand.get({});
    expect(own).toMatchObject({ resellerId: w.resellerA.id, displayName: "Reseller A", logo: null, primaryColor: "#0f766e" });
    expect((await callerFor(w.users.resellerA).brand.get({ resellerId: w.subA.id })).resellerId).toBe(w.subA.id);
    expect((await callerFor(w.users.admin).brand.get({ resellerId: w.resellerB.id })).resellerId).toBe(w.resellerB.id);
    expect((await callerFor(w.users.admin).brand.get({})).resellerId).toBe(w.platform.id);
  });

  it("keeps other trees and parents out as not found, customers as forbidden", async () => {
    expect((await expectFailure(callerFor(w.users.resellerB).brand.get({ resellerId: w.subA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.subA).brand.get({ resellerId: w.resellerA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.resellerA).brand.get({ resellerId: w.platform.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.customerA).brand.get({}))).code).toBe("FORBIDDEN");
  });
});

describe("brand.update", () => {
  it("saves every field normalised, bumps the generation, with audit and outbox", async () => {
    const before = await snapshot(w.resellerA.id);
    const b = await callerFor(w.users.resellerA).brand.update(valid);
    expect(b).toMatchObject({
      displayName: "Reseller A Hosting",
      primaryColor: "#1d4ed8",
      accentColor: "#fbbf24",
      nameservers: ["ns1.reseller-a.test", "ns2.reseller-a.test"],
      supportEmail: "help@reseller-a.test",
      emailSenderName: "Reseller A Support",
      generation: before.brand.generation + 1,
    });
    const after = await snapshot(w.resellerA.id);
    expect(after.audit).toBe(before.audit + 1);
    expect(after.outbox).toBe(before.outbox + 1);
    const audit = await db.auditEvent.findFirstOrThrow({ where: { targetId: w.resellerA.id, action: "brand.update" } });
    expect(audit).toMatchObject({ resellerId: w.resellerA.id, actorId: w.users.resellerA.id });
    expect((audit.before as { displayName: string }).displayName).toBe("Reseller A");

    // Emptied optional fields clear them.
    const cleared = await callerFor(w.users.resellerA).brand.update({ ...valid, supportEmail: "", emailSenderName: "" });
    expect(cleared).toMatchObject({ supportEmail: null, emailSenderName: null });
  });

  it("lets a parent reseller and an admin edit a descendant's brand", async () => {
    expect((await callerFor(w.users.resellerA).brand.update({ ...valid, resellerId: w.subA.id, displayName: "Sub" })).displayName).toBe("Sub");
    expect((await callerFor(w.users.admin).brand.update({ ...valid, resellerId: w.resellerB.id, displayName: "B" })).displayName).toBe("B");
  });

  it("keeps other trees and parents out, and writes nothing", async () => {
    const before = await snapshot(w.subA.id);
    expect((await expectFailure(callerFor(w.users.resellerB).brand.update({ ...valid, resellerId: w.subA.id }))).code).toBe("NOT_FOUND");
    const parent = await snapshot(w.resellerA.id);
    expect((await expectFailure(callerFor(w.users.subA).brand.update({ ...valid, resellerId: w.resellerA.id }))).code).toBe("NOT_FOUND");
    expect((await expectFailure(callerFor(w.users.customerA).brand.update(valid))).code).toBe("FORBIDDEN");
    expect(await snapshot(w.subA.id)).toEqual(before);
    expect((await snapshot(w.resellerA.id)).brand).toEqual(parent.brand);
  });

  it("rejects a colour on which no text is readable, saying the ratios, and saves nothing", async () => {
    const before = await snapshot(w.resellerB.id);
    // Mid grey: white text reaches about 3.9:1 and near-black about 4.4:1; neither passes.
    const f = await expectFailure(callerFor(w.users.resellerB).brand.update({ ...valid, primaryColor: "#808080" }));
    expect(f.appCode).toBe("BAD_INPUT");
    expect(Object.keys(f.fields)).toEqual(["primaryColor"]);
    expect(f.fields.primaryColor).toMatch(/white text reaches 3\.\d\d:1 and dark text 4\.\d\d:1.*4\.5:1/);
    const g = await expectFailure(callerFor(w.users.resellerB).brand.update({ ...valid, accentColor: "#7a7a7a" }));
    expect(Object.keys(g.fields)).toEqual(["accentColor"]);
    expect(await snapshot(w.resellerB.id)).toEqual(before);
    // Very light and very dark colours pass: dark text on one, white on the other.
    await callerFor(w.users.resellerB).brand.update({ ...valid, primaryColor: "#fef3c7", accentColor: "#1e1b4b" });
  });

  it("rejects malformed input next to its field and saves nothing", async () => {
    const before = await snapshot(w.resellerB.id);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ primaryColor: "blue" }, "primaryColor"],
      [{ accentColor: "#12345" }, "accentColor"],
      [{ nameservers: ["ns1.example.test"] }, "nameservers"],
      [{ nameservers: Array.from({ length: 7 }, (_, i) => `ns${i}.example.test`) }, "nameservers"],
      [{ nameservers: ["ns1.example.test", "ns1.example.test"] }, "nameservers.1"],
      [{ nameservers: ["ns1.example.test", "bad_name.example.test"] }, "nameservers.1"],
      [{ supportEmail: "not-an-email" }, "supportEmail"],
      [{ emailSenderName: "Support\r\nBcc: victim@example.test" }, "emailSenderName"],
      [{ emailSenderName: "Support\nX" }, "emailSenderName"],
      [{ displayName: "" }, "displayName"],
      [{ displayName: "x".repeat(101) }, "displayName"],
    ];
    for (const [patch, field] of cases) {
      const f = await expectFailure(callerFor(w.users.resellerB).brand.update({ ...valid, ...patch }));
      expect(Object.keys(f.fields), JSON.stringify(patch)).toEqual([field]);
    }
    expect(await snapshot(w.resellerB.id)).toEqual(before);
  });
});
