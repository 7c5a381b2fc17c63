import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";

// Reseller nameservers: optional in the brand form, the platform's defaults otherwise, glue
// addresses and a real NS lookup for a reseller's own.

let world: Awaited<ReturnType<typeof makeWorld>>;
let dns: Socket;
let dnsPort = 0;
const brandFields = { displayName: "Brand", primaryColor: "#0f766e", accentColor: "#f59e0b", supportEmail: null, emailSenderName: null };

/** A one-zone authoritative stand-in on loopback: answers NS for ns-live.test, REFUSED for the rest. */
function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}
function answer(query: Buffer): Buffer {
  let i = 12;
  const labels: string[] = [];
  while (query[i]! !== 0) {
    labels.push(query.subarray(i + 1, i + 1 + query[i]!).toString());
    i += query[i]! + 1;
  }
  const question = query.subarray(12, i + 5);
  const live = labels.join(".").toLowerCase() === "ns-live.test";
  const names = live ? ["ns1.ns-live.test", "ns2.ns-live.test"] : [];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(live ? 0x8400 : 0x8405, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(names.length, 6);
  const answers = names.map((n) => {
    const rdata = encodeName(n);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(2, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(300, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header, question, ...answers]);
}

beforeAll(async () => {
  world = await makeWorld();
  dns = createSocket("udp4");
  dns.on("message", (msg, from) => dns.send(answer(msg), from.port, from.address));
  await new Promise<void>((resolve) => dns.bind(0, "127.0.0.1", resolve));
  dnsPort = dns.address().port;
});
afterAll(async () => {
  delete process.env.SHOAL_DNS_RESOLVER;
  await new Promise<void>((resolve) => dns.close(() => resolve()));
});

describe("brand nameservers", () => {
  it("saves a brand without nameservers; one, seven, a repeat or a bad name are refused beside the field", async () => {
    const asReseller = callerFor(world.users.resellerB);
    const saved = await asReseller.brand.update({ ...brandFields, nameservers: [] });
    expect(saved.nameservers).toEqual([]);
    for (const [nameservers, field, message] of [
      [["ns1.example.test"], "nameservers", /at least 2 nameservers, or none/],
      [Array.from({ length: 7 }, (_, i) => `ns${i}.example.test`), "nameservers", /at most 6/],
      [["ns1.example.test", "ns1.example.test"], "nameservers.1", /listed twice/],
      [["ns1.example.test", "bad_name.example.test"], "nameservers.1", /./],
    ] as const) {
      const err = await rejection(asReseller.brand.update({ ...brandFields, nameservers: [...nameservers] }));
      expect(err.fieldErrors[field]).toMatch(message);
    }
  });

  it("a reseller without its own uses the platform's defaults (set by the admin), for new domains too", async () => {
    const admin = callerFor(world.users.admin);
    const settings = await admin.settings.get();
    const err = await rejection(admin.settings.update({ bounds: settings.bounds, egressAllow: settings.egressAllow, defaultNameservers: ["ns1.dns-default.test"] }));
    expect(err.fieldErrors.defaultNameservers).toMatch(/at least 2/);
    const updated = await admin.settings.update({ bounds: settings.bounds, egressAllow: settings.egressAllow, defaultNameservers: ["ns1.dns-default.test", "ns2.dns-default.test"] });
    expect(updated.defaultNameservers).toEqual(["ns1.dns-default.test", "ns2.dns-default.test"]);
    // Older clients that send only bounds and egress leave them as they are.
    await admin.settings.update({ bounds: settings.bounds, egressAllow: settings.egressAllow });
    expect((await admin.settings.get()).defaultNameservers).toHaveLength(2);

    await db.brand.update({ where: { resellerId: world.resellerB.id }, data: { nameservers: [] } });
    const status = await callerFor(world.users.resellerB).brand.nameserverStatus({});
    expect(status).toMatchObject({ own: false, nameservers: ["ns1.dns-default.test", "ns2.dns-default.test"], glue: [], delegation: null });
    const d = await callerFor(world.users.customerB).domain.create({ name: `ns-default-${Date.now()}.test` });
    const zone = await callerFor(world.users.customerB).dns.getZone({ domainId: d.id });
    expect(zone.records.filter((r) => r.type === "NS").map((r) => [r.content, r.managed])).toEqual([
      ["ns1.dns-default.test", true],
      ["ns2.dns-default.test", true],
    ]);
  });

  it("a reseller with its own sees the glue addresses and whether the delegation is live, from a real NS lookup", async () => {
    const nodeNames = [`ns-node-a-${Date.now()}`, `ns-node-b-${Date.now()}`];
    await db.node.createMany({ data: [{ name: nodeNames[0]!, address: "192.0.2.101", status: "HEALTHY" }, { name: nodeNames[1]!, address: "192.0.2.102", status: "HEALTHY" }] });
    const asReseller = callerFor(world.users.resellerA);
    await asReseller.brand.update({ ...brandFields, nameservers: ["ns1.ns-live.test", "ns2.ns-live.test"] });
    process.env.SHOAL_DNS_RESOLVER = `127.0.0.1:${dnsPort}`;
    const live = await asReseller.brand.nameserverStatus({ check: true });
    expect(live.own).toBe(true);
    expect(live.glue.map((g) => g.name)).toEqual(["ns1.ns-live.test", "ns2.ns-live.test"]);
    expect(live.glue.every((g) => g.address !== null)).toBe(true);
    expect(live.delegation).toMatchObject({ zone: "ns-live.test", live: true });

    await asReseller.brand.update({ ...brandFields, nameservers: ["ns1.ns-dead.test", "ns2.ns-dead.test"] });
    expect((await asReseller.brand.nameserverStatus({ check: true })).delegation).toMatchObject({ zone: "ns-dead.test", live: false });
    // Nothing listens here: honestly not live.
    process.env.SHOAL_DNS_RESOLVER = "127.0.0.1:1";
    expect((await asReseller.brand.nameserverStatus({ check: true })).delegation).toMatchObject({ live: false, detail: /Not live/ });
    // Another tree's brand reads as not found.
    expect((await rejection(callerFor(world.users.resellerB).brand.nameserverStatus({ resellerId: world.resellerA.id }))).code).toBe("NOT_FOUND");
    await db.node.deleteMany({ where: { name: { in: nodeNames } } });
  });
});
