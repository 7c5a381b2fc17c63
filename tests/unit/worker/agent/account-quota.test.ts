import { describe, expect, it } from "vitest";
import { atLimit } from "../../../../worker/agent/storage/account-quota";
import { accountGroupId, parseQgroupShow, siteGroupId } from "../../../../worker/agent/storage/btrfs-quota";

const MiB = 1024 ** 2;

describe("at the disk limit", () => {
  it("is at it within a write's room below the limit, and over it", () => {
    expect(atLimit(16 * MiB, 16 * MiB)).toBe(true);
    expect(atLimit(16 * MiB - 100 * 1024, 16 * MiB)).toBe(true);
    expect(atLimit(20 * MiB, 16 * MiB)).toBe(true);
    expect(atLimit(15 * MiB, 16 * MiB)).toBe(false);
    // A large limit leaves at most 1 MiB of room.
    expect(atLimit(1024 * MiB - 2 * MiB, 1024 * MiB)).toBe(false);
    expect(atLimit(1024 * MiB - MiB / 2, 1024 * MiB)).toBe(true);
  });

  it("is never at it without a limit or while the numbers are unknown", () => {
    expect(atLimit(10 * MiB, null)).toBe(false);
    expect(atLimit(null, 16 * MiB)).toBe(false);
  });
});

describe("quota groups", () => {
  it("names an account's group at level 2 and a site's at level 1, the same on every node", () => {
    expect(accountGroupId("alice")).toMatch(/^2\/[0-9]+$/);
    expect(accountGroupId("alice")).toBe(accountGroupId("alice"));
    expect(accountGroupId("alice")).not.toBe(accountGroupId("bob"));
    expect(siteGroupId("site1")).toMatch(/^1\/[0-9]+$/);
  });

  it("reads `btrfs qgroup show --raw -p -r`: numbers, limit, parents and path", () => {
    const rows = parseQgroupShow(
      [
        "Qgroupid            Referenced    Exclusive  Max referenced Parent            Path ",
        "--------            ----------    ---------  -------------- ------            ---- ",
        "0/5                      16384        16384            none -                 <toplevel>",
        "0/256                 10502144     10502144            none 1/5               home/alice/sites/site1",
        "1/5                   31490048     31490048            none 2/77,2/78         2/77<1 member qgroup\u0000>",
        "2/77                  41943040     41943040        41943040 -                 <0 member qgroups>",
        "0/300                        0            0            none -",
      ].join("\n"),
    );
    expect([...rows.keys()]).toEqual(["0/5", "0/256", "1/5", "2/77", "0/300"]);
    expect(rows.get("0/256")).toEqual({ id: "0/256", rfer: 10502144, excl: 10502144, maxRfer: null, parents: ["1/5"], path: "home/alice/sites/site1" });
    expect(rows.get("1/5")?.parents).toEqual(["2/77", "2/78"]);
    expect(rows.get("2/77")).toMatchObject({ maxRfer: 41943040, parents: [] });
    expect(rows.get("0/300")?.path).toBe("");
  });
});
