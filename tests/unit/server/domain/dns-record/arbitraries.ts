import fc from "fast-check";
import type { RecordInput } from "@/server/domain/dns-record/types";

// Generators of valid record inputs for each type, as a person types them in the form.

export const zones = ["example.com", "xn--bcher-kva.de", "a.b.example.test"];
const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz");
const ldh = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-");
export const hostLabel = fc
  .tuple(letter, fc.array(ldh, { maxLength: 12 }), letter)
  .map(([a, mid, z]) => `${a}${mid.join("")}${z}`)
  .filter((l) => l.slice(2, 4) !== "--");
const ownerLabel = fc.oneof(hostLabel, hostLabel.map((l) => `_${l}`));
export const ownerName = fc.oneof(
  fc.constant("@"),
  fc.array(ownerLabel, { minLength: 1, maxLength: 3 }).map((ls) => ls.join(".")),
  hostLabel.map((l) => `*.${l}`),
);
const subName = fc.array(hostLabel, { minLength: 1, maxLength: 2 }).map((ls) => ls.join("."));
export const hostTarget = fc.array(hostLabel, { minLength: 2, maxLength: 4 }).map((ls) => `${ls.join(".")}.`);
export const ttl = fc.integer({ min: 60, max: 604_800 });
const u16 = fc.integer({ min: 0, max: 65535 });
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((p) => p.map((n) => n.toString(16)).join(":"));
const text = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constantFrom("é", "ü", "→", "💡")), minLength: 1, maxLength: 700 })
  .filter((s) => s.trim() !== "");

export const validRecord: Record<RecordInput["type"], fc.Arbitrary<RecordInput>> = {
  A: fc.record({ name: ownerName, type: fc.constant("A" as const), ttl, value: ipv4 }),
  AAAA: fc.record({ name: ownerName, type: fc.constant("AAAA" as const), ttl, value: ipv6 }),
  CNAME: fc.record({ name: subName, type: fc.constant("CNAME" as const), ttl, value: hostTarget }),
  MX: fc.record({ name: ownerName, type: fc.constant("MX" as const), ttl, priority: u16, value: hostTarget }),
  TXT: fc.record({ name: ownerName, type: fc.constant("TXT" as const), ttl, value: text }),
  SRV: fc.record({
    name: fc.tuple(hostLabel, fc.constantFrom("_tcp", "_udp")).map(([s, p]) => `_${s.slice(0, 14)}.${p}`),
    type: fc.constant("SRV" as const),
    ttl,
    priority: u16,
    weight: u16,
    port: u16,
    value: hostTarget,
  }),
  CAA: fc.oneof(
    fc.record({ name: ownerName, type: fc.constant("CAA" as const), ttl, flags: fc.constantFrom(0, 128), tag: fc.constantFrom("issue", "issuewild"), value: fc.oneof(fc.constant(";"), hostTarget.map((t) => t.slice(0, -1))) }),
    fc.record({ name: ownerName, type: fc.constant("CAA" as const), ttl, flags: fc.constant(0), tag: fc.constant("iodef"), value: hostLabel.map((l) => `mailto:${l}@example.net`) }),
  ),
  NS: fc.record({ name: subName, type: fc.constant("NS" as const), ttl, value: hostTarget }),
};

/** Per type: a field and values that break it. */
export const mutations: Record<RecordInput["type"], Array<{ field: string; bad: fc.Arbitrary<unknown> }>> = {
  A: [
    { field: "value", bad: fc.constantFrom("1.2.3", "256.1.1.1", "::1", "example.com", "", "01.2.3.4") },
    { field: "ttl", bad: fc.oneof(fc.integer({ max: 59 }), fc.integer({ min: 604_801 })) },
    { field: "name", bad: fc.constantFrom("other.org.", "a..b", "-x", "x-", "a b", "a*b", "w*.x", "http://x", "x".repeat(64)) },
  ],
  AAAA: [{ field: "value", bad: fc.constantFrom("192.0.2.1", "2001:db8::g", "", "1:2:3") }],
  CNAME: [
    { field: "value", bad: fc.constantFrom("192.0.2.1", "::1", "", "a..b.", "*.example.net.") },
    { field: "name", bad: fc.constantFrom("@", "") },
  ],
  MX: [
    { field: "value", bad: fc.constantFrom("192.0.2.1", "2001:db8::1", "", "a_b.example.com.", "-a.example.") },
    { field: "priority", bad: fc.constantFrom(-1, 65536, 1.5, null) },
  ],
  TXT: [{ field: "value", bad: fc.constantFrom("", "  ", "a\nb", "a\u0000", "x".repeat(4001), "\ud800") }],
  SRV: [
    { field: "name", bad: fc.constantFrom("sip.tcp", "@", "_sip", "_sip._xyz", "www") },
    { field: "port", bad: fc.constantFrom(-1, 70000, null) },
    { field: "weight", bad: fc.constantFrom(-1, 70000, null) },
    { field: "value", bad: fc.constantFrom("192.0.2.1", "") },
  ],
  CAA: [
    { field: "tag", bad: fc.constantFrom("issuer", "", "contactemail", "tbs") },
    { field: "flags", bad: fc.constantFrom(1, 255, -1) },
  ],
  NS: [
    { field: "name", bad: fc.constantFrom("@", "*.x") },
    { field: "value", bad: fc.constantFrom("192.0.2.53", "", "ns_1.example.com.") },
  ],
};
