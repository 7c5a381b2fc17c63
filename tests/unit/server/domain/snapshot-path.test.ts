import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkSnapshotPath, snapshotPathSchema } from "../../../../server/domain/snapshot-path";
import { parseRelativePath } from "../../../../worker/agent/storage/names";

// The path a customer types into the snapshot file browser: checked in the panel with the same
// grammar the agent applies (worker/agent/storage/names.ts), so what the panel lets through the
// node accepts, and what it refuses gets a clear message before a node is asked.

const agentAccepts = (p: string) => {
  try {
    parseRelativePath(p);
    return true;
  } catch {
    return false;
  }
};

// A file or folder name: anything but "/" and NUL, not "." or "..", at most 255 bytes.
const segment = fc
  .string({ unit: fc.oneof(fc.constantFrom("a", "Z", "0", ".", "-", "_", " ", "é", "字", "\u{1F600}", "'", "\\", "%"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes("/") && !s.includes("\0") && s !== "." && s !== ".." && Buffer.byteLength(s) <= 255);
const validPath = fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join("/"));

describe("snapshot path grammar", () => {
  it("accepts every plain relative path and returns its parts", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (parts) => {
        const checked = checkSnapshotPath(parts.join("/"));
        expect(checked).toEqual({ ok: true, segments: parts });
        expect(snapshotPathSchema.safeParse(parts.join("/")).success).toBe(true);
      }),
    );
    expect(checkSnapshotPath("")).toEqual({ ok: true, segments: [] });
  });

  it('refuses any path with a ".." part, wherever it is, saying why', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), fc.array(segment, { maxLength: 4 }), (before, after) => {
        const checked = checkSnapshotPath([...before, "..", ...after].join("/"));
        expect(checked.ok).toBe(false);
        if (!checked.ok) expect(checked.message).toMatch(/"\.\." is not allowed/);
      }),
    );
  });

  it("refuses absolute paths and NUL anywhere", () => {
    fc.assert(
      fc.property(validPath, (p) => {
        const abs = checkSnapshotPath(`/${p}`);
        expect(abs.ok).toBe(false);
        if (!abs.ok) expect(abs.message).toMatch(/leading "\/"/);
      }),
    );
    fc.assert(
      fc.property(validPath, fc.nat(), (p, at) => {
        const i = at % (p.length + 1);
        const withNul = checkSnapshotPath(`${p.slice(0, i)}\0${p.slice(i)}`);
        expect(withNul.ok).toBe(false);
        if (!withNul.ok) expect(withNul.message).toMatch(/NUL/);
      }),
    );
  });

  it("agrees with the agent's parser on every string (what the panel passes, the node takes)", () => {
    const tricky = fc.string({ unit: fc.constantFrom("a", "/", ".", "\0", "é", "x"), maxLength: 30 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), tricky, validPath), (p) => {
        expect(checkSnapshotPath(p).ok).toBe(agentAccepts(p));
      }),
      { numRuns: 2000 },
    );
    for (const p of ["a//b", "a/", "./a", "a/./b", `${"x".repeat(256)}`, "é".repeat(128), "x".repeat(4097)]) {
      expect(checkSnapshotPath(p).ok, JSON.stringify(p.slice(0, 20))).toBe(agentAccepts(p));
      expect(checkSnapshotPath(p).ok).toBe(false);
    }
  });

  it("gives the tRPC input a message for the field", () => {
    const parsed = snapshotPathSchema.safeParse("../wp-config.php");
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('".." is not allowed: the path must stay inside the snapshot.');
  });
});
