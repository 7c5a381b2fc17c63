import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideRetention, defaultRetentionPolicy, type RetainedSnapshot, type RetentionPolicy } from "../../../../server/domain/snapshot-retention";

const now = new Date("2026-12-01T20:15:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const snap = (name: string, agoMs: number, pinned = false): RetainedSnapshot => ({ name, takenAt: ago(agoMs), pinned });

describe("decideRetention", () => {
  it("keeps everything of the last hour, the first of each hour for a week, the first of each day for a month", () => {
    const snaps = [
      snap("recent-1", 1 * minute),
      snap("recent-59", 59 * minute),
      // 20:15 now: 18:00-18:59 is one hour bucket; 18:05 is its first.
      snap("h-1805", 2 * hour + 10 * minute),
      snap("h-1830", 1 * hour + 45 * minute),
      snap("d3-a", 3 * day + 5 * hour),
      snap("d3-b", 3 * day + 5 * hour - 10 * minute),
      snap("d10-first", 10 * day + 20 * hour),
      snap("d10-later", 10 * day + 2 * hour),
      snap("d40", 40 * day),
    ];
    const d = decideRetention(snaps, now);
    expect(Object.fromEntries(d.keep.map((k) => [k.name, k.reason]))).toEqual({
      "recent-1": "newest",
      "recent-59": "recent",
      "h-1805": "hourly",
      "d3-a": "hourly",
      "d10-first": "daily",
    });
    expect(d.delete.sort()).toEqual(["d10-later", "d3-b", "d40", "h-1830"].sort());
  });

  it("keeps the newest even when every snapshot is older than every window, and pinned ones always", () => {
    const d = decideRetention([snap("old", 100 * day), snap("older", 101 * day), snap("split", 200 * day, true)], now);
    expect(d.keep).toEqual([
      { name: "old", reason: "newest" },
      { name: "split", reason: "pinned" },
    ]);
    expect(d.delete).toEqual(["older"]);
  });

  it("refuses duplicate names, invalid times and a negative policy", () => {
    expect(() => decideRetention([snap("a", 1), snap("a", 2)], now)).toThrow(/twice/);
    expect(() => decideRetention([{ name: "x", takenAt: new Date("nope") }], now)).toThrow(/valid time/);
    expect(() => decideRetention([], now, { ...defaultRetentionPolicy, keepDailyDays: -1 })).toThrow(/keepDailyDays/);
    expect(decideRetention([], now)).toEqual({ keep: [], delete: [] });
  });

  it("honours a plan without hourly or daily retention", () => {
    const d = decideRetention([snap("a", 1 * minute), snap("b", 2 * hour), snap("c", 2 * day)], now, { keepAllMinutes: 10, keepHourlyDays: 0, keepDailyDays: 0 });
    expect(d.keep.map((k) => k.name)).toEqual(["a"]);
  });

  const arbitrarySnapshots = fc
    .uniqueArray(
      fc.record({
        // Up to 45 days back, and a little into the future (a node's clock ahead of ours).
        agoMs: fc.integer({ min: -5 * minute, max: 45 * day }),
        // About one in ten pinned.
        pinned: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      }),
      { maxLength: 300, selector: (r) => r.agoMs },
    )
    .map((list) => list.map((r, i) => snap(`s${i}`, r.agoMs, r.pinned)));
  const arbitraryPolicy: fc.Arbitrary<RetentionPolicy> = fc.record({
    keepAllMinutes: fc.integer({ min: 0, max: 180 }),
    keepHourlyDays: fc.integer({ min: 0, max: 10 }),
    keepDailyDays: fc.integer({ min: 0, max: 40 }),
  });

  it("never deletes the newest, splits the input exactly, and is idempotent", () => {
    fc.assert(
      fc.property(arbitrarySnapshots, arbitraryPolicy, (snaps, policy) => {
        const d = decideRetention(snaps, now, policy);
        const kept = new Set(d.keep.map((k) => k.name));
        expect(kept.size + d.delete.length).toBe(snaps.length);
        expect(d.delete.every((n) => !kept.has(n))).toBe(true);
        if (snaps.length > 0) {
          const newest = [...snaps].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime())[0]!;
          expect(kept.has(newest.name)).toBe(true);
        }
        for (const s of snaps) if (s.pinned || now.getTime() - s.takenAt.getTime() <= policy.keepAllMinutes * minute) expect(kept.has(s.name)).toBe(true);
        const again = decideRetention(snaps.filter((s) => kept.has(s.name)), now, policy);
        expect(again.delete).toEqual([]);
        expect(again.keep).toEqual(d.keep);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps at most one per hour beyond the recent window, one per day beyond the hourly window, none beyond the daily window", () => {
    fc.assert(
      fc.property(arbitrarySnapshots, (snaps) => {
        const policy = defaultRetentionPolicy;
        const d = decideRetention(snaps, now, policy);
        const byName = new Map(snaps.map((s) => [s.name, s]));
        const perHour = new Map<number, number>();
        const perDay = new Map<number, number>();
        for (const k of d.keep) {
          if (k.reason !== "hourly" && k.reason !== "daily") continue;
          const t = byName.get(k.name)!.takenAt.getTime();
          const h = Math.floor(t / hour);
          perHour.set(h, (perHour.get(h) ?? 0) + 1);
          if (k.reason === "daily") {
            const dd = Math.floor(t / day);
            perDay.set(dd, (perDay.get(dd) ?? 0) + 1);
            expect(now.getTime() - t).toBeGreaterThan(policy.keepAllMinutes * minute);
          }
          expect(Math.floor(t / day) * day).toBeGreaterThanOrEqual(now.getTime() - policy.keepDailyDays * day);
        }
        expect([...perHour.values()].every((n) => n === 1)).toBe(true);
        expect([...perDay.values()].every((n) => n === 1)).toBe(true);
        // Nothing older than the daily window survives unless newest or pinned.
        for (const k of d.keep) {
          const s = byName.get(k.name)!;
          if (now.getTime() - s.takenAt.getTime() > (policy.keepDailyDays + 1) * day) expect(["newest", "pinned"]).toContain(k.reason);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a snapshot kept as an hour's first stays kept as time passes, until its hour leaves the window", () => {
    fc.assert(
      fc.property(arbitrarySnapshots, fc.integer({ min: 1, max: 6 * day }), (snaps, laterMs) => {
        const d = decideRetention(snaps, now);
        const later = new Date(now.getTime() + laterMs);
        const survivors = snaps.filter((s) => d.keep.some((k) => k.name === s.name));
        const next = decideRetention(survivors, later);
        const nextKept = new Set(next.keep.map((k) => k.name));
        for (const k of d.keep) {
          if (k.reason !== "hourly") continue;
          const t = survivors.find((s) => s.name === k.name)!.takenAt.getTime();
          if (Math.floor(t / hour) * hour >= later.getTime() - defaultRetentionPolicy.keepHourlyDays * day) expect(nextKept.has(k.name)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
