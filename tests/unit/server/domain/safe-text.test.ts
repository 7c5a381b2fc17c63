import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emailSchema, passwordSchema, safeText } from "@/server/domain/safe-text";

const firstMessage = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.error?.issues[0]?.message;

describe("safeText examples", () => {
  it.each([
    ["Acme Ltd", "Acme Ltd"],
    ["  padded  ", "padded"],
    ["Café ☕ 例え", "Café ☕ 例え"],
    ["a".repeat(20), "a".repeat(20)],
  ])("accepts %j", (input, expected) => {
    expect(safeText(20).parse(input)).toBe(expected);
  });

  it.each([
    ["", "Must not be empty."],
    ["   ", "Must not be empty."],
    ["a".repeat(21), "Must be at most 20 characters."],
    ["a\0b", "Must not contain NUL characters."],
    ["a\nb", "Must not contain line breaks."],
    ["a\rb", "Must not contain line breaks."],
    ["a\tb", "Must not contain control characters (found U+0009)."],
    ["a\u001bb", "Must not contain control characters (found U+001B)."],
    ["a\u007fb", "Must not contain control characters (found U+007F)."],
    ["a\ud800b", "Contains an invalid character (a broken emoji or symbol)."],
  ])("rejects %j", (input, message) => {
    expect(firstMessage(safeText(20).safeParse(input))).toBe(message);
  });

  it("allows line breaks and tabs only when asked, and still refuses NUL and other controls", () => {
    const multiLine = safeText(100, { allowNewlines: true });
    expect(multiLine.parse("line one\r\n\tline two\n")).toBe("line one\r\n\tline two");
    expect(firstMessage(multiLine.safeParse("a\0b"))).toBe("Must not contain NUL characters.");
    expect(firstMessage(multiLine.safeParse("a\u0008b"))).toBe("Must not contain control characters (found U+0008).");
  });

  it("works as an optional field at call sites", () => {
    expect(safeText(10).optional().parse(undefined)).toBeUndefined();
  });
});

describe("emailSchema and passwordSchema examples", () => {
  it.each([
    ["person@example.com", "person@example.com"],
    ["  Person.Name+tag@Example.TEST ", "person.name+tag@example.test"],
  ])("accepts email %j", (input, expected) => {
    expect(emailSchema.parse(input)).toBe(expected);
  });

  it.each([
    ["", "valid email address"],
    ["not-an-email", "valid email address"],
    ["a@b", "valid email address"],
    ["a@example.com\r\nBcc: x@example.com", "line breaks"],
    [`${"a".repeat(245)}@example.com`, "at most 254 characters"],
  ])("rejects email %j", (input, message) => {
    expect(firstMessage(emailSchema.safeParse(input))).toContain(message);
  });

  it.each([
    ["correct horse battery", true],
    ["  spaces kept  ", true],
    ["a".repeat(12), true],
    ["a".repeat(128), true],
  ])("accepts password %j", (input) => {
    expect(passwordSchema.parse(input)).toBe(input);
  });

  it.each([
    ["a".repeat(11), "at least 12 characters"],
    ["a".repeat(129), "at most 128 characters"],
    [" ".repeat(12), "only spaces"],
    ["\t\n".repeat(8), "only spaces"],
  ])("rejects password %j", (input, message) => {
    expect(firstMessage(passwordSchema.safeParse(input))).toContain(message);
  });
});

// Building a zod schema costs far more than using one; properties reuse one per (max, newlines).
const schemas = new Map<string, ReturnType<typeof safeText>>();
function safeTextFor(max: number, allowNewlines = false) {
  const key = `${max}/${allowNewlines}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = safeText(max, { allowNewlines })));
  return schema;
}

const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x10ffff }).filter((c) => c !== 0x7f && (c < 0xd800 || c > 0xdfff)).map((c) => String.fromCodePoint(c)),
});
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) });

describe("safe text properties", () => {
  it("never throws from safeParse", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.string()), fc.integer({ min: 1, max: 20 }), fc.boolean(), (s, max, allowNewlines) => {
        expect(typeof safeTextFor(max, allowNewlines).safeParse(s).success).toBe("boolean");
        expect(typeof emailSchema.safeParse(s).success).toBe("boolean");
        expect(typeof passwordSchema.safeParse(s).success).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  it("accepts printable text within the bound, trimmed, and is idempotent", () => {
    fc.assert(
      fc.property(printable.filter((s) => s.trim() !== "" && s.trim().length <= 20), (s) => {
        const once = safeTextFor(20).parse(s);
        expect(once).toBe(s.trim());
        expect(safeTextFor(20).parse(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly max characters and rejects max + 1", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,40}$/), (s) => {
        expect(safeTextFor(s.length).safeParse(s).success).toBe(true);
        expect(safeTextFor(s.length - 1).safeParse(s).success).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects any control character inside the text", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{2,20}$/), control, fc.nat(), fc.boolean(), (s, c, at, allowNewlines) => {
        const i = 1 + (at % (s.length - 1));
        const result = safeTextFor(100, allowNewlines).safeParse(s.slice(0, i) + c + s.slice(i));
        const tolerated = allowNewlines && /[\t\r\n]/.test(c);
        expect(result.success).toBe(tolerated);
      }),
      { numRuns: 300 },
    );
  });

  it("lower-cases emails and rejects CR/LF inside them", () => {
    const email = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,20}[A-Za-z0-9]$/), fc.domain())
      .filter(([local]) => !local.includes(".."))
      .map(([local, domain]) => `${local}@${domain}`);
    fc.assert(
      fc.property(email, fc.constantFrom("\r", "\n", "\r\n"), (e, crlf) => {
        expect(emailSchema.parse(e)).toBe(e.toLowerCase());
        expect(emailSchema.safeParse(e.replace("@", `${crlf}@`)).success).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
