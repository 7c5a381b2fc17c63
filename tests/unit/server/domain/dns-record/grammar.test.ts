import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRecord, recordInput } from "@/server/domain/dns-record/record";
import { txtPresentation, txtStrings } from "@/server/domain/dns-record/txt";
import { recordTypes, type RecordInput } from "@/server/domain/dns-record/types";
import { exportZoneFile, parseZoneFile } from "@/server/domain/dns-record/zone-file";
import { zoneIssues } from "@/server/domain/dns-record/zone-rules";
import { mutations, validRecord, zones } from "./arbitraries";

const zone = fc.constantFrom(...zones);
const soa = { primary: "ns1.shoal.test", hostmaster: "hostmaster.shoal.test", serial: 7, ttl: 300 };

describe("every record grammar (property)", () => {
  for (const type of recordTypes) {
    it(`${type}: generated records are accepted, stored relative, and survive export + import`, () => {
      fc.assert(
        fc.property(zone, validRecord[type], (z, input) => {
          const parsed = parseRecord(z, input);
          if (!parsed.ok) throw new Error(`${JSON.stringify(input)} refused: ${JSON.stringify(parsed.errors)}`);
          const r = parsed.value;
          expect(r.type).toBe(type);
          expect(r.name === "@" || !r.name.endsWith(z)).toBe(true);
          // The stored form parses back to itself through the edit form…
          const again = parseRecord(z, { ...recordInput(r), name: r.name });
          expect(again).toEqual({ ok: true, value: r });
          // …and through a BIND zone file.
          const file = exportZoneFile({ zone: z, platform: [], soa, records: [r] });
          const imported = parseZoneFile(file, z);
          expect(imported.errors).toEqual([]);
          expect(imported.records.map((x) => x.record)).toEqual([r]);
        }),
        { numRuns: 150 },
      );
    });

    it(`${type}: a mutated field is refused, with that field's path`, () => {
      const cases = mutations[type];
      fc.assert(
        fc.property(zone, validRecord[type], fc.nat(cases.length - 1), fc.nat(), (z, input, which, pick) => {
          const m = cases[which]!;
          const bad = fc.sample(m.bad, { numRuns: 1, seed: pick })[0];
          const mutated = { ...input, [m.field]: bad };
          const parsed = parseRecord(z, mutated);
          expect(parsed.ok, `${JSON.stringify(mutated)} was accepted`).toBe(false);
          if (!parsed.ok) expect(Object.keys(parsed.errors)).toContain(m.field);
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe("record grammar examples", () => {
  it.each([
    [{ name: "www", type: "A", value: "192.0.2.1" }, { name: "www", content: "192.0.2.1", ttl: 3600 }],
    [{ name: "www.example.com", type: "A", value: "192.0.2.1" }, { name: "www", content: "192.0.2.1" }],
    [{ name: "WWW.Example.COM.", type: "A", value: "192.0.2.1" }, { name: "www" }],
    [{ name: "bücher", type: "A", value: "192.0.2.1" }, { name: "xn--bcher-kva" }],
    [{ name: "@", type: "AAAA", value: "2001:DB8:0:0:0:0:0:1" }, { name: "@", content: "2001:db8::1" }],
    [{ name: "@", type: "MX", priority: 10, value: "mail" }, { content: "mail.example.com", priority: 10 }],
    [{ name: "@", type: "MX", priority: 10, value: "mx.google.com" }, { content: "mx.google.com" }],
    [{ name: "@", type: "MX", priority: 0, value: "." }, { content: "." }],
    [{ name: "sel._domainkey", type: "CNAME", value: "sel._domainkey.provider.net." }, { content: "sel._domainkey.provider.net" }],
    [{ name: "@", type: "CAA", tag: "ISSUE", value: "LetsEncrypt.org; validationmethods=dns-01" }, { content: '0 issue "letsencrypt.org; validationmethods=dns-01"' }],
    [{ name: "@", type: "CAA", tag: "issuewild", value: ";" }, { content: '0 issuewild ";"' }],
    [{ name: "@", type: "CAA", tag: "iodef", value: "https://example.com/caa" }, { content: '0 iodef "https://example.com/caa"' }],
    [{ name: "dev", type: "NS", value: "ns1.other.net" }, { name: "dev", content: "ns1.other.net" }],
  ])("accepts %j", (input, expected) => {
    const r = parseRecord("example.com", input as RecordInput);
    expect(r.ok && r.value).toMatchObject(expected);
  });

  it.each([
    [{ name: "@", type: "CNAME", value: "other.net" }, "name", /cannot be an alias/],
    [{ name: "www", type: "CNAME", value: "www" }, "value", /itself/],
    [{ name: "@", type: "NS", value: "ns1.other.net" }, "name", /set by the platform/],
    [{ name: "@", type: "MX", priority: 10, value: "192.0.2.1" }, "value", /not an IP address/],
    [{ name: "@", type: "MX", priority: 5, value: "." }, "priority", /priority 0/],
    [{ name: "www", type: "A", value: "2001:db8::1" }, "value", /AAAA/],
    [{ name: "other.org.", type: "A", value: "192.0.2.1" }, "name", /outside example\.com/],
    [{ name: "@", type: "CAA", tag: "issue", value: "not a domain" }, "value", /./],
    [{ name: "@", type: "CAA", tag: "iodef", value: "ftp://x.example" }, "value", /mailto/],
    [{ name: "@", type: "TXT", value: "x", ttl: 30 }, "ttl", /between 60 seconds/],
  ])("refuses %j on %s", (input, field, message) => {
    const r = parseRecord("example.com", input as RecordInput);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[field as keyof typeof r.errors]).toMatch(message);
  });

  it("splits TXT into 255-byte strings on export, never inside an escape, and keeps the logical value", () => {
    const value = `v=DKIM1; k=rsa; p=${"A".repeat(300)}é"\\`;
    const chunks = txtStrings(value);
    expect(chunks.map((c) => c.length)).toEqual([255, Buffer.byteLength(value) - 255]);
    const shown = txtPresentation(value);
    expect(shown.startsWith('"v=DKIM1; k=rsa; p=AAA')).toBe(true);
    expect(shown).toContain('\\195\\169\\"\\\\"');
    const file = exportZoneFile({ zone: "example.com", platform: [], soa, records: [{ name: "s._domainkey", type: "TXT", ttl: 300, content: value, priority: null, weight: null, port: null }] });
    expect(parseZoneFile(file, "example.com").records[0]!.record.content).toBe(value);
  });
});

describe("zone rules", () => {
  const r = (name: string, type: RecordInput["type"], content: string) => ({ name, type, content, ttl: 300, priority: type === "MX" ? 10 : null, weight: null, port: null });
  it("a CNAME is alone at its name, platform records included", () => {
    expect(zoneIssues("example.com", [{ key: 1, record: r("www", "CNAME", "x.example.net") }], [r("www", "TXT", "hi")])).toMatchObject([{ key: 1, field: "name", message: /only record/ }]);
    expect(zoneIssues("example.com", [{ key: 1, record: r("www", "TXT", "hi") }], [r("www", "CNAME", "x.example.net")])).toMatchObject([{ field: "name", message: /alias/ }]);
    expect(zoneIssues("example.com", [{ key: 1, record: r("www", "CNAME", "x.example.net") }], [{ ...r("www", "A", "192.0.2.1"), managed: true }])).toHaveLength(1);
    expect(zoneIssues("example.com", [{ key: 1, record: r("blog", "CNAME", "x.example.net") }], [r("www", "A", "192.0.2.1")])).toEqual([]);
  });
  it("names the platform answers for take no customer address; duplicates refused; delegations hold NS and glue only", () => {
    expect(zoneIssues("example.com", [{ key: 1, record: r("www", "A", "192.0.2.9") }], [{ ...r("www", "A", "192.0.2.1"), managed: true }])).toMatchObject([{ message: /platform answers A/ }]);
    expect(zoneIssues("example.com", [{ key: 1, record: r("www", "TXT", "a") }], [r("www", "TXT", "a")])).toMatchObject([{ field: "value", message: /already/ }]);
    const ns = r("dev", "NS", "ns1.other.net");
    expect(zoneIssues("example.com", [{ key: 1, record: r("dev", "TXT", "a") }], [ns])).toMatchObject([{ message: /delegated/ }]);
    expect(zoneIssues("example.com", [{ key: 1, record: r("ns1.dev", "A", "192.0.2.1") }], [ns])).toEqual([]);
    expect(zoneIssues("example.com", [{ key: 1, record: r("x.dev", "MX", "mx.other.net") }], [ns])).toMatchObject([{ message: /glue/ }]);
  });
});

describe("zone file reader", () => {
  it("reads $ORIGIN, $TTL, blank owners, parentheses, comments and quoted TXT; one error per bad line with its number", () => {
    const text = [
      "$TTL 2h ; default",
      "@ IN SOA ns1.x. h.x. ( 1",
      "  2 3 4 5 )",
      "@ NS ns1.shoal.test.",
      "www A 192.0.2.1",
      "    AAAA 2001:db8::1",
      "$ORIGIN sub.example.com.",
      "api 300 IN CNAME www.example.com.",
      "@ TXT ( \"part one \"",
      "        \"part two; not a comment\" )",
      "bad A 999.1.1.1",
      "x 60 IN LOC 1 2 3",
      '@ TXT "never closed',
      "$INCLUDE other.zone",
      "y MX 10 mail",
    ].join("\n");
    const p = parseZoneFile(text, "example.com");
    expect(p.skipped.map((s) => [s.line, s.type])).toEqual([[2, "SOA"], [4, "NS"]]);
    expect(p.records.map((x) => [x.line, x.record.name, x.record.type, x.record.ttl, x.record.content])).toEqual([
      [5, "www", "A", 7200, "192.0.2.1"],
      [6, "www", "AAAA", 7200, "2001:db8::1"],
      [8, "api.sub", "CNAME", 300, "www.example.com"],
      [9, "sub", "TXT", 7200, "part one part two; not a comment"],
      [15, "y.sub", "MX", 7200, "mail.sub.example.com"],
    ]);
    expect(p.errors.map((e) => e.line)).toEqual([11, 12, 13, 14]);
    expect(p.errors[0]!.message).toMatch(/IPv4/);
    expect(p.errors[1]!.message).toMatch(/LOC records are not supported/);
  });

  it("refuses a name outside the zone, a class other than IN and a stray parenthesis", () => {
    const p = parseZoneFile("other.org. A 192.0.2.1\nwww CH A 192.0.2.1\nwww A 192.0.2.1 )\n", "example.com");
    expect(p.errors.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(p.records).toEqual([]);
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const p = parseZoneFile(text, "example.com");
        for (const e of p.errors) expect(e.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
