import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection, rowCounts } from "../domain/helpers";

let world: Awaited<ReturnType<typeof makeWorld>>;
let n = 0;
const fresh = () => `zone-${Date.now().toString(36)}-${++n}.test`;

beforeAll(async () => {
  world = await makeWorld();
  await db.brand.update({ where: { resellerId: world.resellerA.id }, data: { nameservers: ["ns1.reseller-a.test", "ns2.reseller-a.test"] } });
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);

async function domainOfA() {
  return asA().domain.create({ name: fresh() });
}

describe("dns.getZone", () => {
  it("shows the platform's NS and the site's node addresses as managed, and the customer's records as editable", async () => {
    const d = await domainOfA();
    const node = await db.node.create({ data: { name: `zn-${Date.now()}`, address: "192.0.2.77", status: "HEALTHY" } });
    await db.node.create({ data: { name: `zn-dead-${Date.now()}`, address: "192.0.2.78", status: "DEAD" } });
    await db.site.create({ data: { accountId: world.customers.a.account.id, domainId: d.id } });
    await asA().dns.createRecord({ domainId: d.id, name: "@", type: "MX", priority: 10, value: "mail.example.net", ttl: 300 });
    const zone = await asA().dns.getZone({ domainId: d.id });
    const shown = zone.records.map((r) => [r.managed, r.name, r.type, r.data]);
    expect(shown).toEqual(
      expect.arrayContaining([
        [true, "@", "NS", "ns1.reseller-a.test."],
        [true, "@", "NS", "ns2.reseller-a.test."],
        [true, "@", "A", "192.0.2.77"],
        [true, "www", "A", "192.0.2.77"],
        [false, "@", "MX", "10 mail.example.net."],
      ]),
    );
    expect(shown.some((r) => r[3] === "192.0.2.78")).toBe(false);
    expect(zone.records.filter((r) => r.managed).every((r) => r.id === null)).toBe(true);
    // The managed NS rows copied at creation are not shown twice.
    expect(zone.records.filter((r) => r.type === "NS")).toHaveLength(2);
    // The platform's www A takes no customer A, and no CNAME beside it.
    const before = await rowCounts();
    expect((await rejection(asA().dns.createRecord({ domainId: d.id, name: "www", type: "A", value: "192.0.2.9" }))).fieldErrors.name).toMatch(/platform answers A/);
    expect((await rejection(asA().dns.createRecord({ domainId: d.id, name: "www", type: "CNAME", value: "x.example.net" }))).fieldErrors.name).toMatch(/only record/);
    expect(await rowCounts()).toEqual(before);
    await db.node.delete({ where: { id: node.id } });
  });
});

describe("dns.createRecord / updateRecord / deleteRecord", () => {
  it("stores the name relative to the zone, bumps the domain's generation, audits and wakes the reconcile in one transaction", async () => {
    const d = await domainOfA();
    const gen = (await db.domain.findUniqueOrThrow({ where: { id: d.id } })).generation;
    const { id } = await asA().dns.createRecord({ domainId: d.id, name: `Blog.${(await db.domain.findUniqueOrThrow({ where: { id: d.id } })).name}`, type: "CNAME", value: "sites.example.net." });
    const row = await db.dnsRecord.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ name: "blog", type: "CNAME", content: "sites.example.net", ttl: 3600, managed: false });
    expect((await db.domain.findUniqueOrThrow({ where: { id: d.id } })).generation).toBe(gen + 1);
    expect(await db.auditEvent.count({ where: { action: "dns.record.create", targetId: d.id } })).toBe(1);
    expect(await db.outboxEvent.count({ where: { topic: "domain.reconcile", aggregateId: d.id } })).toBe(2);

    await asA().dns.updateRecord({ id, name: "blog", type: "TXT", value: "hello" });
    expect(await db.dnsRecord.findUniqueOrThrow({ where: { id } })).toMatchObject({ type: "TXT", content: "hello", generation: 2 });
    await asA().dns.deleteRecord({ id });
    expect((await db.dnsRecord.findUniqueOrThrow({ where: { id } })).deletedAt).not.toBeNull();
    expect((await db.domain.findUniqueOrThrow({ where: { id: d.id } })).generation).toBe(gen + 3);
  });

  it.each([
    [{ name: "@", type: "CNAME", value: "other.example.net" }, "name", /cannot be an alias/],
    [{ name: "@", type: "MX", priority: 10, value: "192.0.2.1" }, "value", /not an IP address/],
    [{ name: "@", type: "MX", value: "mx.example.net" }, "priority", /priority/],
    [{ name: "@", type: "NS", value: "ns.example.net" }, "name", /set by the platform/],
    [{ name: "www", type: "A", value: "192.0.2.1", ttl: 5 }, "ttl", /between 60/],
    [{ name: "www.elsewhere.net.", type: "A", value: "192.0.2.1" }, "name", /outside/],
    [{ name: "@", type: "CAA", tag: "issuer", value: "letsencrypt.org" }, "tag", /issue, issuewild or iodef/],
    [{ name: "_sip", type: "SRV", priority: 1, weight: 1, port: 99999, value: "sip.example.net" }, "port", /65535/],
    [{ name: "@", type: "BOGUS", value: "x" }, "type", /record type/],
  ])("refuses %j beside the %s field and writes nothing", async (fields, field, message) => {
    const d = await domainOfA();
    const before = await rowCounts();
    const err = await rejection(asA().dns.createRecord({ domainId: d.id, ...(fields as { name: string; type: "A"; value: string }) }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors[field]).toMatch(message);
    expect(await rowCounts()).toEqual(before);
  });

  it("a CNAME cannot sit beside other data, in either order", async () => {
    const d = await domainOfA();
    await asA().dns.createRecord({ domainId: d.id, name: "shop", type: "TXT", value: "x" });
    expect((await rejection(asA().dns.createRecord({ domainId: d.id, name: "shop", type: "CNAME", value: "x.example.net" }))).fieldErrors.name).toMatch(/only record/);
    await asA().dns.createRecord({ domainId: d.id, name: "alias", type: "CNAME", value: "x.example.net" });
    expect((await rejection(asA().dns.createRecord({ domainId: d.id, name: "alias", type: "MX", priority: 1, value: "mx.example.net" }))).fieldErrors.name).toMatch(/alias/);
  });

  it("the platform's records cannot be changed or deleted", async () => {
    const d = await domainOfA();
    const ns = await db.dnsRecord.findFirstOrThrow({ where: { domainId: d.id, type: "NS" } });
    expect(ns.managed).toBe(true);
    expect((await rejection(asA().dns.updateRecord({ id: ns.id, name: "@", type: "TXT", value: "x" }))).code).toBe("FORBIDDEN");
    expect((await rejection(asA().dns.deleteRecord({ id: ns.id }))).code).toBe("FORBIDDEN");
  });

  it("another tenant's zone and records read as not found, and a reseller acts on its own customers only", async () => {
    const d = await domainOfA();
    const { id } = await asA().dns.createRecord({ domainId: d.id, name: "x", type: "TXT", value: "mine" });
    const ns = await db.dnsRecord.findFirstOrThrow({ where: { domainId: d.id, type: "NS" } });
    const before = await rowCounts();
    for (const call of [
      () => asB().dns.getZone({ domainId: d.id }),
      () => asB().dns.exportZone({ domainId: d.id }),
      () => asB().dns.createRecord({ domainId: d.id, name: "y", type: "TXT", value: "theirs" }),
      () => asB().dns.updateRecord({ id, name: "x", type: "TXT", value: "theirs" }),
      () => asB().dns.updateRecord({ id: ns.id, name: "x", type: "TXT", value: "theirs" }),
      () => asB().dns.deleteRecord({ id }),
      () => asB().dns.importZone({ domainId: d.id, text: "y TXT theirs" }),
      () => callerFor(world.users.resellerB).dns.deleteRecord({ id }),
      () => callerFor(world.users.subA).dns.getZone({ domainId: d.id }),
    ]) {
      expect((await rejection(call())).code).toBe("NOT_FOUND");
    }
    expect(await rowCounts()).toEqual(before);
    await callerFor(world.users.resellerA).dns.updateRecord({ id, name: "x", type: "TXT", value: "by my reseller" });
    expect((await db.dnsRecord.findUniqueOrThrow({ where: { id } })).content).toBe("by my reseller");
  });
});

describe("dns.importZone / exportZone", () => {
  it("reports every bad line with its number and saves nothing", async () => {
    const d = await domainOfA();
    await asA().dns.createRecord({ domainId: d.id, name: "keep", type: "TXT", value: "x" });
    const before = await rowCounts();
    const text = ["$TTL 1h", "www A 192.0.2.1", "mail MX 10 192.0.2.2", "ok TXT \"fine\"", "bad AAAA 1.2.3.4", "@ CNAME elsewhere.net."].join("\n");
    const err = await rejection(asA().dns.importZone({ domainId: d.id, text, replace: true }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(Object.keys(err.fieldErrors).sort()).toEqual(["line.3", "line.5", "line.6", "text"]);
    expect(err.fieldErrors["line.3"]).toMatch(/not an IP address/);
    expect(err.fieldErrors.text).toMatch(/3 lines have errors; nothing was imported/);
    expect(await rowCounts()).toEqual(before);
  });

  it("imports a zone file (replacing), skips the platform's lines, and exports what it imported", async () => {
    const d = await domainOfA();
    const name = (await db.domain.findUniqueOrThrow({ where: { id: d.id } })).name;
    await asA().dns.createRecord({ domainId: d.id, name: "old", type: "TXT", value: "replaced" });
    const text = [
      `$ORIGIN ${name}.`,
      "$TTL 300",
      `@ IN SOA ns1.other. hostmaster.other. ( 2024010101 ; serial`,
      "   3600 600 1209600 300 )",
      "@ IN NS ns1.other.net.",
      "www IN A 192.0.2.10",
      "@ IN MX 10 mail",
      `@ IN TXT "v=spf1 mx -all"`,
      `_dmarc IN TXT ( "v=DMARC1; p=none" )`,
      "_imaps._tcp SRV 0 1 993 mail",
      `@ CAA 0 issue "letsencrypt.org"`,
    ].join("\n");
    const res = await asA().dns.importZone({ domainId: d.id, text, replace: true });
    expect(res).toMatchObject({ created: 6, deleted: 1 });
    expect(res.skipped.map((s) => s.line)).toEqual([3, 5]);
    const exported = await asA().dns.exportZone({ domainId: d.id });
    expect(exported.filename).toBe(`${name}.zone`);
    expect(exported.text).toContain(`$ORIGIN ${name}.`);
    expect(exported.text).toMatch(/@\s+3600\s+IN NS\s+ns1\.reseller-a\.test\. ; platform/);
    expect(exported.text).toMatch(/_imaps\._tcp\s+300\s+IN SRV\s+0 1 993 mail\./);
    // Importing the export again changes nothing: its platform lines and known records are skipped.
    const again = await asA().dns.importZone({ domainId: d.id, text: exported.text, replace: false });
    expect(again.created).toBe(0);
    const zone = await asA().dns.getZone({ domainId: d.id });
    expect(zone.records.filter((r) => !r.managed)).toHaveLength(6);
  });
});
