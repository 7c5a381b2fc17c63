import { describe, expect, it } from "vitest";
import { controlAddressesFrom } from "@/worker/control/control-addresses";
import { controlEnvSchema } from "@/worker/control/env";

describe("controlAddressesFrom", () => {
  it("takes the IPv4 hosts of the service URLs and the listed addresses, once each, sorted", () => {
    expect(
      controlAddressesFrom(["postgresql://u:p@10.0.0.5:5432/shoal", "redis://10.0.0.5:6379", "redis://cache.internal:6379"], "203.0.113.9, ,192.0.2.0/24"),
    ).toEqual(["10.0.0.5", "192.0.2.0/24", "203.0.113.9"]);
    expect(controlAddressesFrom(["not a url"], undefined)).toEqual([]);
  });

  it("the worker refuses a malformed SHOAL_CONTROL_ADDRESSES at start-up", () => {
    const base = { DATABASE_URL: "postgresql://u@127.0.0.1/x", SHOAL_CLUSTER_SECRET: "x".repeat(64) };
    expect(controlEnvSchema.safeParse({ ...base, SHOAL_CONTROL_ADDRESSES: "10.0.0.1,192.0.2.0/24" }).success).toBe(true);
    expect(controlEnvSchema.safeParse({ ...base, SHOAL_CONTROL_ADDRESSES: "10.0.0.1; rm -rf" }).success).toBe(false);
    expect(controlEnvSchema.safeParse({ ...base, SHOAL_CONTROL_ADDRESSES: "db.internal" }).success).toBe(false);
  });
});
