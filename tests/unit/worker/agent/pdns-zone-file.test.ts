import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zoneRecordSchema, zoneSpecSchema, zoneRecordTypes } from "../../../../server/contract/dns-zone";
import { quoteTxt, renderZoneFile } from "../../../../worker/agent/drivers/pdns";

// What reaches a zone file must stay one record per line: whatever a customer typed, a record
// that passes the zone grammar renders into exactly one line with no comment, directive or
// unbalanced quote, and a TXT value comes back byte for byte from its quoted strings.

const zone = "example.com";
const base = { serial: 7, primary: "ns1.example.net", contact: "hostmaster.example.com" };
const ns = { name: zone, type: "NS" as const, ttl: 3600, content: "ns1.example.net", priority: null };

/** The bytes a quoted TXT rendering stands for, as a DNS server reads it. */
function unquote(rendered: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of rendered.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const bytes: number[] = [];
    const body = m[1]!;
    for (let i = 0; i < body.length; i++) {
      if (body[i] === "\\" && /^[0-9]{3}$/.test(body.slice(i + 1, i + 4))) {
        bytes.push(Number(body.slice(i + 1, i + 4)));
        i += 3;
      } else if (body[i] === "\\") bytes.push(body.charCodeAt(++i));
      else bytes.push(body.charCodeAt(i));
    }
    out.push(Buffer.from(bytes));
  }
  return out;
}

describe("zone files", () => {
  it("renders SOA, NS, A, MX, SRV, CAA and TXT records as one line each", () => {
    const text = renderZoneFile(
      zoneSpecSchema.parse({
        name: zone,
        ...base,
        records: [
          ns,
          { name: zone, type: "A", ttl: 30, content: "127.0.1.1", priority: null },
          { name: zone, type: "MX", ttl: 300, content: "mail.example.com", priority: 10 },
          { name: `_sip._tcp.${zone}`, type: "SRV", ttl: 300, content: "5 5060 sip.example.com", priority: 1 },
          { name: zone, type: "CAA", ttl: 300, content: '0 issue "letsencrypt.org"', priority: null },
          { name: `txt.${zone}`, type: "TXT", ttl: 60, content: 'say "hi" \\ there', priority: null },
        ],
      }),
    );
    expect(text).toContain("example.com. 3600 IN SOA ns1.example.net. hostmaster.example.com. 7 3600 600 1209600 60\n");
    expect(text).toContain("example.com. 300 IN MX 10 mail.example.com.\n");
    expect(text).toContain("_sip._tcp.example.com. 300 IN SRV 1 5 5060 sip.example.com.\n");
    expect(text).toContain('txt.example.com. 60 IN TXT "say \\"hi\\" \\\\ there"\n');
  });

  it("splits TXT into 255-byte strings that join back to the value", () => {
    const long = "v=spf1 " + "a".repeat(600);
    const parts = unquote(quoteTxt(long));
    expect(parts.map((p) => p.length)).toEqual([255, 255, 97]);
    expect(Buffer.concat(parts).toString()).toBe(long);
  });

  it("refuses names outside the zone, host names with spaces, and CAA tags it does not know", () => {
    const bad = [
      { name: "example.org", type: "A", ttl: 30, content: "127.0.0.1", priority: null },
      { name: zone, type: "CNAME", ttl: 30, content: "a b.example.com", priority: null },
      { name: zone, type: "CAA", ttl: 30, content: '0 evil "x"', priority: null },
      { name: zone, type: "MX", ttl: 30, content: "mail.example.com", priority: null },
    ];
    for (const record of bad) expect(zoneSpecSchema.safeParse({ name: zone, ...base, records: [ns, record] }).success).toBe(false);
  });

  it("property: any record that passes the grammar renders as exactly one line, and TXT round-trips", () => {
    const text = fc.string({ unit: "binary", maxLength: 600 });
    fc.assert(
      fc.property(fc.constantFrom(...zoneRecordTypes), text, fc.stringMatching(/^[a-z0-9*_-]{1,10}$/), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null }), (type, content, label, priority) => {
        const record = { name: `${label}.${zone}`, type, ttl: 60, content, priority };
        const parsed = zoneSpecSchema.safeParse({ name: zone, ...base, records: [ns, record] });
        if (!parsed.success) return;
        const lines = renderZoneFile(parsed.data).trimEnd().split("\n");
        expect(lines).toHaveLength(4);
        const line = lines[3]!;
        expect(line.startsWith(`${label}.${zone}. 60 IN ${type} `)).toBe(true);
        const rdata = line.slice(`${label}.${zone}. 60 IN ${type} `.length);
        // Outside quoted strings: no comment and no directive.
        expect(rdata.replace(/"(?:[^"\\]|\\.)*"/g, "")).not.toMatch(/[;$"()\\]/);
        if (type === "TXT") expect(Buffer.concat(unquote(rdata)).toString()).toBe(content);
      }),
      { numRuns: 100 },
    );
  }, 30_000);

  it("a record's schema rejects control characters in TXT", () => {
    expect(zoneRecordSchema.safeParse({ name: zone, type: "TXT", ttl: 60, content: "a\nb", priority: null }).success).toBe(false);
  });
});
