import { describe, expect, it } from "vitest";
import { db } from "../../server/db";
import { makeWorld } from "../helpers/fixtures";

describe("test harness", () => {
  it("gives each file its own migrated database", async () => {
    const before = await db.reseller.count();
    expect(before).toBe(0);
    await makeWorld();
    expect(await db.reseller.count()).toBe(4);
    const idx = await db.$queryRaw<{ indexname: string }[]>`select indexname::text from pg_indexes where indexname = 'Domain_name_live_key'`;
    expect(idx).toHaveLength(1);
  });
});
