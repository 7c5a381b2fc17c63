import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contrastRatio, hexColourSchema, parseHexColour } from "@/server/domain/colour";

describe("parseHexColour examples", () => {
  it.each([
    ["#1d4ed8", "#1d4ed8"],
    ["#1D4ED8", "#1d4ed8"],
    [" #abc ", "#aabbcc"],
    ["#FFF", "#ffffff"],
    ["#000000", "#000000"],
  ])("accepts %j", (input, expected) => {
    expect(parseHexColour(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", "Enter a colour"],
    ["1d4ed8", "Must start with #"],
    ["red", "Must start with #"],
    ["#12345g", "hex digits 0-9 and a-f"],
    ["#12 345", "hex digits 0-9 and a-f"],
    ["#1234", "3 or 6 hex digits after the #; this one has 4"],
    ["#1234567", "this one has 7"],
    ["#", "this one has 0"],
    ["#fff;}body{x:y", "hex digits"],
  ])("rejects %j", (input, message) => {
    const result = parseHexColour(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("reports the parser's sentence through the zod schema", () => {
    expect(hexColourSchema.parse("#ABC")).toBe("#aabbcc");
    expect(hexColourSchema.safeParse("#12").error?.issues[0]?.message).toBe(
      "Must have 3 or 6 hex digits after the #; this one has 2.",
    );
  });

  it.each([
    ["#000000", "#ffffff", 21],
    ["#ffffff", "#ffffff", 1],
    ["#777777", "#ffffff", 4.4781],
    ["#1d4ed8", "#ffffff", 6.7016],
    ["#ff0000", "#ffffff", 3.9985],
    // Dark enough to fall in the linear segment of the sRGB curve.
    ["#050505", "#000000", 1.0304],
  ])("computes the WCAG contrast of %s on %s", (a, b, expected) => {
    expect(contrastRatio(a, b)).toBeCloseTo(expected, 3);
  });

  it("refuses to compute the contrast of a malformed colour", () => {
    expect(() => contrastRatio("blue", "#fff")).toThrow("contrastRatio needs two hex colours");
  });
});

const hex6 = fc.stringMatching(/^#[0-9a-fA-F]{6}$/);
const hex3 = fc.stringMatching(/^#[0-9a-fA-F]{3}$/);
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });

describe("colour properties", () => {
  it("never throws", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string()), (s) => {
        expect(typeof parseHexColour(s).ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("accepts any #rrggbb in any case as lower case, and is idempotent", () => {
    fc.assert(
      fc.property(hex6, (c) => {
        expect(parseHexColour(c)).toEqual({ ok: true, value: c.toLowerCase() });
        expect(parseHexColour(c.toLowerCase())).toEqual({ ok: true, value: c.toLowerCase() });
      }),
      { numRuns: 300 },
    );
  });

  it("expands #rgb by doubling each digit", () => {
    fc.assert(
      fc.property(hex3, (c) => {
        const [r, g, b] = c.slice(1).toLowerCase();
        expect(parseHexColour(c)).toEqual({ ok: true, value: `#${r}${r}${g}${g}${b}${b}` });
      }),
      { numRuns: 200 },
    );
  });

  it("rejects any non-hex character", () => {
    const nonHex = fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[0-9a-f]/i.test(c) && c.trim() !== "");
    fc.assert(
      fc.property(hex6, nonHex, fc.integer({ min: 1, max: 6 }), (c, x, at) => {
        expect(parseHexColour(c.slice(0, at) + x + c.slice(at + 1)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("gives a symmetric contrast between 1 and 21, exactly 1 for the same colour", () => {
    fc.assert(
      fc.property(hex6, hex6, (a, b) => {
        const ratio = contrastRatio(a, b);
        expect(ratio).toBeGreaterThanOrEqual(1);
        expect(ratio).toBeLessThanOrEqual(21);
        expect(contrastRatio(b, a)).toBeCloseTo(ratio, 10);
        expect(contrastRatio(a, a)).toBe(1);
        expect(Math.max(contrastRatio(a, "#000"), contrastRatio(a, "#fff"))).toBeGreaterThanOrEqual(Math.sqrt(21) - 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
