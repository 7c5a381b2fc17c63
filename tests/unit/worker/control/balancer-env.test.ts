import { describe, expect, it } from "vitest";
import { defaultBalancerSettings } from "../../../../server/domain/balancer";
import { balancerEnv } from "../../../../worker/control/balance";

// SHOAL_BALANCER_SETTINGS is read once when a control worker starts: a typo or a setting the
// planner would refuse must stop the worker with the reason, not fail every round afterwards.
const parse = (text?: string) => balancerEnv.SHOAL_BALANCER_SETTINGS.safeParse(text);

describe("SHOAL_BALANCER_SETTINGS", () => {
  it("defaults to the planner's settings, and overrides the keys it names", () => {
    expect(parse().data).toEqual(defaultBalancerSettings);
    expect(parse('{"countBand":3,"coolDownMs":30000}').data).toEqual({ ...defaultBalancerSettings, countBand: 3, coolDownMs: 30_000 });
  });

  it("refuses what is no JSON object, unknown keys, non-numbers and settings the planner would refuse", () => {
    expect(parse("countBand=3").error?.issues[0]?.message).toBe("SHOAL_BALANCER_SETTINGS must be a JSON object.");
    expect(parse('{"countBnad":3}').error?.issues[0]?.message).toMatch(/^SHOAL_BALANCER_SETTINGS takes numbers for hotThreshold, .*countBand: .*countBnad/);
    expect(parse('{"countBand":"3"}').success).toBe(false);
    expect(parse("[]").success).toBe(false);
    expect(parse('{"countBand":1.5}').error?.issues[0]?.message).toBe("SHOAL_BALANCER_SETTINGS: the site count band is a whole number of sites from 0 (off) to 1000.");
    expect(parse('{"coldThreshold":0.75}').error?.issues[0]?.message).toMatch(/band must not exceed the hot threshold/);
  });

  it("takes a round period from half a second to an hour", () => {
    expect(balancerEnv.SHOAL_BALANCE_TICK_MS.parse("2000")).toBe(2000);
    expect(balancerEnv.SHOAL_BALANCE_TICK_MS.parse(undefined)).toBeUndefined();
    expect(balancerEnv.SHOAL_BALANCE_TICK_MS.safeParse("100").success).toBe(false);
  });
});
