import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { snapshotNameSchema } from "../../../../server/contract/storage-names";
import { InvalidRelativePathError, parseRelativePath, snapshotNameAt } from "../../../../worker/agent/storage/names";

describe("snapshot names", () => {
  it("accepts a kind and a UTC instant, to the second or the millisecond", () => {
    for (const ok of ["s-20261201T201500Z", "pre-20261201T201500Z", "split2-20261201T201500123Z"]) expect(snapshotNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["", "s-20261201T2015Z", "S-20261201T201500Z", "../s-20261201T201500Z", "s-20261201T201500Z/x", ".s-20261201T201500Z", "s_20261201T201500Z", "-20261201T201500Z"]) {
      expect(snapshotNameSchema.safeParse(bad).success, bad).toBe(false);
    }
    expect(snapshotNameAt("s", new Date("2026-12-01T20:15:00.999Z"))).toBe("s-20261201T201500Z");
  });
});

describe("parseRelativePath", () => {
  it("splits plain paths and refuses anything that could climb out", () => {
    expect(parseRelativePath("")).toEqual([]);
    expect(parseRelativePath("public/wp-content/uploads/a b.jpg")).toEqual(["public", "wp-content", "uploads", "a b.jpg"]);
    expect(parseRelativePath(".data/x.sql")).toEqual([".data", "x.sql"]);
    for (const bad of ["/etc/passwd", "..", "../x", "a/../b", "a/./b", "a//b", "a/", "a/\0b", `a/${"x".repeat(256)}`]) {
      expect(() => parseRelativePath(bad), bad).toThrow(InvalidRelativePathError);
    }
  });

  it("never returns a segment that is empty, '.', '..' or holds a slash (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", ".", "/", "\0", "é") , maxLength: 30 }), (input) => {
        let segments: string[];
        try {
          segments = parseRelativePath(input);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidRelativePathError);
          return;
        }
        for (const s of segments) {
          expect(s === "" || s === "." || s === ".." || s.includes("/") || s.includes("\0")).toBe(false);
        }
        expect(segments.join("/")).toBe(input);
      }),
    );
  });
});
