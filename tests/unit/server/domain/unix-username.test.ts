import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  usernamePrefixes,
  parseUnixUsername,
  reservedUnixUsernames,
  suggestedUnixUsernameMaxLength,
  suggestUnixUsername,
  unixUsernameSchema,
} from "@/server/domain/unix-username";

describe("parseUnixUsername examples", () => {
  it.each([
    ["alice", "alice"],
    ["  Alice  ", "alice"],
    ["abc", "abc"],
    ["a1_b2", "a1_b2"],
    ["web_123", "web_123"],
    ["a".repeat(32), "a".repeat(32)],
    ["rooty", "rooty"],
    ["myshoal", "myshoal"],
  ])("accepts %j", (input, expected) => {
    expect(parseUnixUsername(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", "Enter a username."],
    ["ab", "at least 3 characters"],
    ["a".repeat(33), "at most 32 characters; this one has 33"],
    ["1abc", "start with a letter"],
    ["_abc", "start with a letter"],
    ["ab-c", '"-" is not allowed'],
    ["ab.c", '"." is not allowed'],
    ["ab c", '" " is not allowed'],
    ["ab\nc", '"\n" is not allowed'],
    ["abc_", "end with an underscore"],
    ["ab__c", "two underscores in a row"],
    ["root", '"root" is reserved'],
    ["nobody", "is reserved"],
    ["postgres", "is reserved"],
    ["users", "is reserved"],
    ["shoal", "is reserved"],
    ["shoal_agent", "is reserved"],
    ["systemd_network", "is reserved"],
  ])("rejects %j", (input, message) => {
    const result = parseUnixUsername(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("rejects every name on the reserved list that the grammar would otherwise allow", () => {
    for (const name of reservedUnixUsernames) expect(parseUnixUsername(name).ok).toBe(false);
  });

  it("reports the parser's sentence through the zod schema", () => {
    expect(unixUsernameSchema.parse("Alice")).toBe("alice");
    expect(unixUsernameSchema.safeParse("abc_").error?.issues[0]?.message).toBe("Must not end with an underscore.");
  });

  it.each([
    ["Café Noir Ltd", "cafe_noir_ltd"],
    ["www.example.co.uk", "example"],
    ["https://www.Example.com/", "example"],
    ["bücher.de", "bucher"],
    ["123.com", "u123"],
    ["", "user"],
    ["!!!", "user"],
    ["root", "site_root"],
    ["Shoal Hosting", "site_shoal_hosting"],
    ["ab", "ab_user"],
    ["Anne-Marie & Sons, Bakers of the Highlands", "anne_marie_sons_bakers_o"],
  ])("suggests a username from %j", (input, expected) => {
    expect(suggestUnixUsername(input)).toBe(expected);
  });
});

const validUsername = fc
  .stringMatching(/^[a-z][a-z0-9_]{2,31}$/)
  .filter((s) => !s.endsWith("_") && !s.includes("__") && !reservedUnixUsernames.has(s))
  .filter((s) => !s.startsWith("shoal") && !s.startsWith("systemd"));
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });

describe("parseUnixUsername properties", () => {
  it("never throws", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string()), (s) => {
        expect(typeof parseUnixUsername(s).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("accepts every name built from the grammar, whatever its case", () => {
    fc.assert(
      fc.property(validUsername, (s) => {
        expect(parseUnixUsername(s)).toEqual({ ok: true, value: s });
        expect(parseUnixUsername(` ${s.toUpperCase()} `)).toEqual({ ok: true, value: s });
      }),
      { numRuns: 300 },
    );
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(validUsername, fc.string(), fc.stringMatching(/^[A-Za-z0-9_ -]{0,40}$/)), (s) => {
        const first = parseUnixUsername(s);
        if (first.ok) expect(parseUnixUsername(first.value)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects any character outside [a-z0-9_] inside a name", () => {
    const forbidden = fc
      .integer({ min: 0, max: 0x10ffff })
      .map((c) => String.fromCodePoint(c))
      // toLowerCase maps a few non-ASCII letters into a-z (the Kelvin sign becomes "k").
      .filter((c) => !/[a-z0-9_]/i.test(c.toLowerCase()));
    fc.assert(
      fc.property(validUsername.filter((s) => s.length < 32), forbidden, fc.nat(), (s, c, at) => {
        const i = 1 + (at % (s.length - 1));
        expect(parseUnixUsername(s.slice(0, i) + c + s.slice(i)).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts 32 characters and rejects 33", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9]{32}$/).filter((s) => !s.startsWith("shoal") && !s.startsWith("systemd")), (s) => {
        expect(parseUnixUsername(s.slice(0, 32)).ok).toBe(true);
        expect(parseUnixUsername(s).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects names starting with the reserved prefixes", () => {
    fc.assert(
      fc.property(fc.constantFrom("shoal", "systemd"), fc.stringMatching(/^[a-z0-9]{0,20}$/), (p, rest) => {
        expect(parseUnixUsername(p + rest).ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("always suggests a valid, short, deterministic name that a numeric suffix keeps valid", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string(), fc.domain(), fc.string({ unit: "grapheme" })), fc.integer({ min: 1, max: 99_999_999 }), (s, n) => {
        const suggestion = suggestUnixUsername(s);
        expect(parseUnixUsername(suggestion)).toEqual({ ok: true, value: suggestion });
        expect(suggestion.length).toBeLessThanOrEqual(suggestedUnixUsernameMaxLength);
        expect(suggestUnixUsername(s)).toBe(suggestion);
        expect(parseUnixUsername(`${suggestion}${n}`).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("usernamePrefixes", () => {
  it("lists the shorter names at each underscore", () => {
    expect(usernamePrefixes("cafe_noir_ltd")).toEqual(["cafe", "cafe_noir"]);
    expect(usernamePrefixes("cafe")).toEqual([]);
  });

  it("for any valid name: each prefix is extended by the name at an underscore, and every such prefix is listed", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,4}$/), (name) => {
        const prefixes = usernamePrefixes(name);
        for (const p of prefixes) expect(name.startsWith(`${p}_`)).toBe(true);
        const expected = [...name.matchAll(/_/g)].map((m) => name.slice(0, m.index));
        expect(prefixes).toEqual(expected);
      }),
    );
  });
});
