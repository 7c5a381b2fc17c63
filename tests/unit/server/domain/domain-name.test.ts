import { domainToASCII, domainToUnicode } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  domainNameSchema,
  parseDomainName,
  platformReservedDomains,
  reservedDomainSuffixes,
  reservedReason,
} from "@/server/domain/domain-name";

const isReservedDomain = (ascii: string) => reservedReason(ascii, { allowLocalhost: false }) !== null;

const label = (n: number, c = "a") => c.repeat(n);

describe("parseDomainName examples", () => {
  it.each([
    ["example.com", "example.com", "example.com"],
    ["  Example.COM.  ", "example.com", "example.com"],
    ["a.b.c.example.test", "a.b.c.example.test", "a.b.c.example.test"],
    ["shop.example", "shop.example", "shop.example"],
    ["1example.com", "1example.com", "1example.com"],
    ["123.example.com", "123.example.com", "123.example.com"],
    ["a-b--c.com", "a-b--c.com", "a-b--c.com"],
    ["bücher.de", "xn--bcher-kva.de", "bücher.de"],
    ["BÜCHER.de", "xn--bcher-kva.de", "bücher.de"],
    ["xn--bcher-kva.de", "xn--bcher-kva.de", "bücher.de"],
    ["faß.de", "xn--fa-hia.de", "faß.de"],
    ["例え.テスト", "xn--r8jz45g.xn--zckzah", "例え.テスト"],
    ["xn--ls8h.la", "xn--ls8h.la", "💩.la"],
    ["ａｂｃ.com", "abc.com", "abc.com"],
    ["abc.com。", "abc.com", "abc.com"],
    [`${label(63)}.com`, `${label(63)}.com`, `${label(63)}.com`],
  ])("accepts %j", (input, ascii, unicode) => {
    expect(parseDomainName(input)).toEqual({ ok: true, value: { ascii, unicode } });
  });

  it.each([
    ["", "Enter a domain name."],
    ["   ", "Enter a domain name."],
    ["example", "including its ending"],
    ["example.com\n", "line breaks"],
    ["exa\r\nmple.com", "line breaks"],
    ["exam\0ple.com", "control characters"],
    ["exam\u0007ple.com", "control characters"],
    ["ex ample.com", "spaces"],
    ["ex\u00a0ample.com", "spaces"],
    ["*.example.com", "Wildcards"],
    ["https://example.com", "without http://"],
    ["example.com/path", "without http://"],
    ["user@example.com", "not an email address"],
    ["example.com:8080", "without a port"],
    ["a_b.com", '"_" is not allowed'],
    ["exa!mple.com", '"!" is not allowed'],
    ["1.2.3.4", "IP addresses are not allowed"],
    ["127.1", "IP addresses are not allowed"],
    ["0x7f.1", "IP addresses are not allowed"],
    ["0177.0.0.1", "IP addresses are not allowed"],
    ["2130706433", "IP addresses are not allowed"],
    ["::1", "IP addresses are not allowed"],
    ["[2001:db8::1]", "IP addresses are not allowed"],
    ["example.123", "top-level domain) cannot be a number"],
    ["example.0x1f", "top-level domain) cannot be a number"],
    ["a..example.com", "empty part"],
    [".example.com", "empty part"],
    ["example.com..", "empty part"],
    [".", "Enter a domain name."],
    [`${label(64)}.com`, `A label can be at most 63 characters: "${label(20)}…" has 64.`],
    ["-abc.com", "must not start with a hyphen"],
    ["abc-.com", "must not end with a hyphen"],
    ["ab--cd.com", "third and fourth positions"],
    ["xn--abc.com", "not a valid internationalised (xn--) label"],
    ["xn--a.com", "not a valid internationalised (xn--) label"],
    ["xn--abc-def.com", "not a valid internationalised (xn--) label"],
    ["a\u200db.com", "not a valid internationalised domain name"],
    ["localhost", "including its ending"],
    ["www.localhost", 'ending in ".localhost"'],
    ["shop.localhost", 'ending in ".localhost"'],
    ["printer.local", 'ending in ".local"'],
    ["corp.internal", 'ending in ".internal"'],
    ["x.invalid", 'ending in ".invalid"'],
    ["1.0.0.127.in-addr.arpa", 'ending in ".arpa"'],
    ["abc.onion", 'ending in ".onion"'],
    ["shoal.localhost", "belongs to the platform"],
    ["panel.shoal.localhost", "belongs to the platform"],
  ])("rejects %j", (input, message) => {
    const result = parseDomainName(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("measures the total length of the ASCII name: 253 passes, 254 fails", () => {
    const name253 = [label(63), label(63), label(63), label(61)].join(".");
    expect(name253).toHaveLength(253);
    expect(parseDomainName(name253).ok).toBe(true);
    const name254 = [label(63), label(63), label(63), label(62)].join(".");
    expect(parseDomainName(name254)).toEqual({
      ok: false,
      error: "A domain name can be at most 253 characters; this one has 254.",
    });
  });

  it("lists the reserved suffixes and keeps .test and .example usable", () => {
    expect(reservedDomainSuffixes).toEqual(["localhost", "local", "internal", "invalid", "arpa", "onion"]);
    expect(platformReservedDomains).toContain("shoal.localhost");
    expect(isReservedDomain("example.test")).toBe(false);
    expect(isReservedDomain("www.example")).toBe(false);
    expect(isReservedDomain("notlocal")).toBe(false);
    expect(isReservedDomain("mylocalhost.com")).toBe(false);
    expect(isReservedDomain("a.b.onion")).toBe(true);
  });

  it("reports the parser's sentence through the zod schema", () => {
    expect(domainNameSchema.parse(" Bücher.DE. ")).toEqual({ ascii: "xn--bcher-kva.de", unicode: "bücher.de" });
    const result = domainNameSchema.safeParse("-abc.com");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('A label must not start with a hyphen: "-abc".');
  });
});

// Labels a registry would accept: LDH, no edge hyphens, nothing in positions 3-4 that looks
// like an IDNA prefix.
const ldhLabel = fc
  .stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/)
  .filter((l) => l.slice(2, 4) !== "--");
const tld = fc.stringMatching(/^[a-z]{2,12}$/);
const validAsciiDomain = fc
  .tuple(fc.array(ldhLabel, { minLength: 1, maxLength: 4 }), tld)
  .map(([labels, t]) => [...labels, t].join("."))
  .filter((d) => d.length <= 253 && !isReservedDomain(d));

// Letters that IDNA maps to themselves and that need no bidi or joiner context, by script: a label
// keeps to one script (or Latin with Japanese), as the homoglyph rule requires.
const latinLetters = "abcxyzäöüßéèñçøåæœşğıžčł";
const cyrillicLetters = "пример";
const greekLetters = "ωλ";
const scriptLabel = (letters: string) => fc.string({ unit: fc.constantFrom(...letters), minLength: 1, maxLength: 10 });
const unicodeLabel = fc.oneof(
  scriptLabel(latinLetters),
  // "и" reads as no Latin letter, so the label is never a whole-script confusable.
  scriptLabel(cyrillicLetters).map((l) => `и${l}`.slice(0, 10)),
  scriptLabel(greekLetters),
  scriptLabel(`abc日本語例えテストひらがな`),
  scriptLabel("한국"),
);
const unicodeDomain = fc
  .tuple(fc.array(unicodeLabel, { minLength: 1, maxLength: 3 }), fc.oneof(tld, unicodeLabel))
  .map(([labels, t]) => [...labels, t].join("."));

// Any code point, lone surrogates included (fast-check's "binary" unit costs a second to warm up).
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });

const forbiddenChar = fc.constantFrom(
  ..."\0\r\n\t\u0001\u001f\u007f _*/@!$%&()+,;=~`'\"<>\\^{|}#?:[]\u00a0\u2003\u3000",
);

describe("parseDomainName properties", () => {
  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string(), fc.string({ unit: "grapheme" }), unicodeDomain), (s) => {
        const result = parseDomainName(s);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("accepts every well-formed LDH name and returns it unchanged", () => {
    fc.assert(
      fc.property(validAsciiDomain, (d) => {
        expect(parseDomainName(d)).toEqual({ ok: true, value: { ascii: d, unicode: d } });
        expect(parseDomainName(` ${d.toUpperCase()}. `)).toEqual({ ok: true, value: { ascii: d, unicode: d } });
      }),
      { numRuns: 300 },
    );
  });

  it("accepts fc.domain() names unless reserved or using positions 3-4 for --", () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const expected = !isReservedDomain(d) && !d.split(".").some((l) => l.slice(2, 4) === "--");
        expect(parseDomainName(d).ok).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("is idempotent: both forms of every accepted name parse back to the same value", () => {
    fc.assert(
      fc.property(fc.oneof(validAsciiDomain, unicodeDomain, fc.domain(), fc.string()), (s) => {
        const first = parseDomainName(s);
        if (!first.ok) return;
        expect(parseDomainName(first.value.ascii)).toEqual(first);
        expect(parseDomainName(first.value.unicode)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips IDNs: unicode → ascii → unicode", () => {
    fc.assert(
      fc.property(unicodeDomain, (d) => {
        const result = parseDomainName(d);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.value.ascii).toMatch(/^[a-z0-9.-]+$/);
        expect(result.value.unicode).toBe(d);
        expect(domainToUnicode(result.value.ascii)).toBe(d);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a valid name with a forbidden character inside it", () => {
    fc.assert(
      fc.property(validAsciiDomain, forbiddenChar, fc.nat(), (d, c, at) => {
        const i = 1 + (at % (d.length - 1));
        expect(parseDomainName(d.slice(0, i) + c + d.slice(i)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts labels of exactly 63 characters and rejects 64", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{64}$/), tld, (l, t) => {
        expect(parseDomainName(`${l.slice(0, 63)}.${t}`).ok).toBe(true);
        const result = parseDomainName(`${l}.${t}`);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toContain("has 64");
      }),
      { numRuns: 100 },
    );
  });

  it("accepts names of exactly 253 characters and rejects 254", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{254}$/), (s) => {
        const dotted = (n: number) => `${s.slice(0, 63)}.${s.slice(63, 126)}.${s.slice(126, 189)}.${s.slice(189, n - 3)}`;
        expect(dotted(253)).toHaveLength(253);
        expect(parseDomainName(dotted(253)).ok).toBe(true);
        expect(parseDomainName(dotted(254)).ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("rejects IPv4 and IPv6 addresses in every form URL accepts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.ipV6().map((a) => `[${a}]`)), (ip) => {
        const result = parseDomainName(ip);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toContain("IP addresses are not allowed");
      }),
      { numRuns: 500 },
    );
  });

  it("rejects every name under a reserved suffix", () => {
    fc.assert(
      fc.property(validAsciiDomain, fc.constantFrom(...reservedDomainSuffixes, ...platformReservedDomains), (d, r) => {
        expect(parseDomainName(`${d}.${r}`).ok).toBe(false);
        expect(parseDomainName(r).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("homoglyphs", () => {
  const latin = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"), minLength: 1, maxLength: 8 });
  const cyrillic = fc.constantFrom(..."абвгдежзиклмнопрстуфхцчшщыэюя");
  const greek = fc.constantFrom(..."αβγδεζηθικλμνξοπρστυφχψω");

  it("refuses a label mixing Latin with Cyrillic or Greek, typed in Unicode or in its xn-- form", () => {
    fc.assert(
      fc.property(latin, fc.oneof(cyrillic, greek), fc.nat(), tld, (l, other, at, t) => {
        const i = at % (l.length + 1);
        const name = `${l.slice(0, i)}${other}${l.slice(i)}.${t}`;
        const result = parseDomainName(name);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toMatch(/mixes letters of different scripts/);
        const ascii = domainToASCII(name);
        if (ascii) expect(parseDomainName(ascii).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses whole-script Cyrillic look-alikes of Latin names under an ASCII ending", () => {
    for (const name of ["аррӏе.com", "xn--80ak6aa92e.com", "ѕсоре.net", "раураӏ.com"]) {
      const result = parseDomainName(name);
      expect(result.ok, name).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/look like Latin/);
    }
    // Real Cyrillic words, and look-alikes under a Cyrillic ending, stay allowed.
    expect(parseDomainName("пример.com").ok).toBe(true);
    expect(parseDomainName("арре.рф").ok).toBe(true);
  });

  it("keeps real mixed names: Latin with Japanese, Latin with accents, digits and hyphens", () => {
    for (const name of ["sony-ソニー.jp", "例え-abc.jp", "bücher-2.de", "한국어.kr", "ελλάδα.gr"]) {
      expect(parseDomainName(name).ok, name).toBe(true);
    }
  });

  it("judges a name the same in its Unicode and xn-- forms", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(latin, fc.string({ unit: fc.oneof(cyrillic, greek), minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 3 }), tld, (labels, t) => {
        const name = `${labels.join("")}.${t}`;
        const ascii = domainToASCII(name);
        if (!ascii) return;
        expect(parseDomainName(ascii).ok).toBe(parseDomainName(name).ok);
      }),
      { numRuns: 300 },
    );
  });
});

