import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { platformReservedDomains, reservedReason } from "@/server/domain/domain-name";
import { hostnameSchema, parseHostname } from "@/server/domain/hostname";

const isReservedDomain = (ascii: string) => reservedReason(ascii, { allowLocalhost: false }) !== null;

describe("parseHostname examples", () => {
  it.each([
    ["panel.example.com", "panel.example.com"],
    ["  NS1.Example.COM.  ", "ns1.example.com"],
    ["panel.reseller-one.localhost", "panel.reseller-one.localhost"],
    ["reseller-one.localhost", "reseller-one.localhost"],
    ["ns1.example.test", "ns1.example.test"],
    ["xn--bcher-kva.de", "xn--bcher-kva.de"],
  ])("accepts %j", (input, expected) => {
    expect(parseHostname(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", "Enter a hostname."],
    ["panel", "including its ending"],
    ["localhost", "including its ending"],
    ["panel.example.com:8443", "without a port"],
    ["https://panel.example.com", "without http://"],
    ["panel.example.com\r\n", "line breaks"],
    ["bücher.de", "xn-- form"],
    ["panel_1.example.com", '"_" is not allowed'],
    ["-panel.example.com", "must not start with a hyphen"],
    ["10.0.0.1", "IP addresses are not allowed"],
    ["[fe80::1]", "IP addresses are not allowed"],
    ["shoal.localhost", "belongs to the platform"],
    ["panel.shoal.localhost", "belongs to the platform"],
    ["printer.local", 'ending in ".local"'],
    ["ns.internal", 'ending in ".internal"'],
    ["*.example.com", "Wildcards"],
    [`${"a".repeat(64)}.example.com`, "at most 63 characters"],
  ])("rejects %j", (input, message) => {
    const result = parseHostname(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("reports the parser's sentence through the zod schema", () => {
    expect(hostnameSchema.parse("Panel.Reseller-One.localhost")).toBe("panel.reseller-one.localhost");
    expect(hostnameSchema.safeParse("panel.example.com:80").error?.issues[0]?.message).toBe(
      "Enter the hostname without a port.",
    );
  });
});

const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });
const hasReservedHyphens = (d: string) => d.split(".").some((l) => l.slice(2, 4) === "--");

describe("parseHostname properties", () => {
  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string(), fc.domain()), (s) => {
        expect(typeof parseHostname(s).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("accepts fc.domain() names unless reserved, lower-cased and unchanged", () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const expected = !isReservedDomain(d) && !hasReservedHyphens(d);
        const result = parseHostname(d.toUpperCase());
        if (expected) expect(result).toEqual({ ok: true, value: d });
        else expect(result.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts any valid name placed under .localhost, except the platform's own", () => {
    fc.assert(
      fc.property(fc.domain().filter((d) => !hasReservedHyphens(d)), (d) => {
        const host = `${d}.localhost`;
        const platform = platformReservedDomains.some((p) => host === p || host.endsWith(`.${p}`));
        expect(parseHostname(host).ok).toBe(host.length <= 253 && !platform);
      }),
      { numRuns: 300 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.string(), fc.domain().map((d) => ` ${d.toUpperCase()}.`)), (s) => {
        const first = parseHostname(s);
        if (first.ok) expect(parseHostname(first.value)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects IP addresses and any port", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6()), (ip) => {
        expect(parseHostname(ip).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 0, max: 65535 }), (d, port) => {
        const result = parseHostname(`${d}:${port}`);
        expect(result).toEqual({ ok: false, error: "Enter the hostname without a port." });
      }),
      { numRuns: 200 },
    );
  });

  it("rejects any non-ASCII character inside a name", () => {
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 0x80, max: 0x10ffff }), (d, code) => {
        const c = String.fromCodePoint(code);
        expect(parseHostname(`${d.slice(0, 1)}${c}${d.slice(1)}`).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses an xn-- name that decodes to a homoglyph (mixed scripts or Cyrillic look-alikes)", () => {
    for (const host of ["xn--80ak6aa92e.com", "xn--pple-43d.com"]) {
      const result = parseHostname(host);
      expect(result.ok, host).toBe(false);
    }
    expect(parseHostname("xn--bcher-kva.de").ok).toBe(true);
  });
});
