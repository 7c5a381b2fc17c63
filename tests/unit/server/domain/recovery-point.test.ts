import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recoveryPoint, spokenDuration } from "../../../../server/domain/recovery-point";

describe("recoveryPoint", () => {
  it("states what a failover loses for the default plan in plain words", () => {
    expect(recoveryPoint({ copies: 2, snapshotCadenceSec: 60 })).toEqual({
      short: "≤ 1 min of changes",
      failover: "If the server running your sites fails, they start again on another server within seconds (2 copies of each site).",
      dataLoss: "Changes made in the last 1 minute before a failure (new files, database writes) may be lost; everything older is kept.",
    });
  });

  it("says a single copy means offline until the server returns", () => {
    const p = recoveryPoint({ copies: 1, snapshotCadenceSec: 300 });
    expect(p.short).toBe("Offline until the server is back");
    expect(p.dataLoss).toContain("every 5 minutes");
  });

  it("speaks any cadence without a zero part or a wrong plural", () => {
    expect(spokenDuration(90)).toBe("1 minute 30 seconds");
    expect(spokenDuration(3600)).toBe("1 hour");
    expect(spokenDuration(7260)).toBe("2 hours 1 minute");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 * 86_400 }), (s) => {
        const spoken = spokenDuration(s);
        expect(spoken).not.toMatch(/\b0 \w/);
        expect(spoken).not.toMatch(/\b1 \w+s\b/);
        expect(spoken).toMatch(/^\d+ (hour|minute|second)s?( \d+ (minute|second)s?)*$/);
      }),
    );
  });
});
