import { describe, expect, it } from "vitest";
import { AttemptLimiter, sftpLimits } from "../../../../../worker/agent/sftp/attempt-limiter";

describe("AttemptLimiter", () => {
  it("allows the panel's number of attempts per account, then refuses until the window ends", () => {
    let now = 0;
    const limiter = new AttemptLimiter(() => now);
    for (let i = 0; i < sftpLimits.account.max; i++) expect(limiter.reserve("alice", `10.0.0.${i}`)).toBe(true);
    expect(limiter.reserve("alice", "10.0.0.99")).toBe(false);
    now += sftpLimits.account.windowSeconds * 1000;
    expect(limiter.reserve("alice", "10.0.0.99")).toBe(true);
  });

  it("limits one address across many account names, and gives a success's count back", () => {
    const limiter = new AttemptLimiter(() => 0);
    for (let i = 0; i < sftpLimits.address.max; i++) expect(limiter.reserve(`user${i}`, "10.0.0.1")).toBe(true);
    expect(limiter.reserve("another", "10.0.0.1")).toBe(false);
    const fresh = new AttemptLimiter(() => 0);
    for (let i = 0; i < 20; i++) {
      expect(fresh.reserve("bob", "10.0.0.2")).toBe(true);
      fresh.refund("bob", "10.0.0.2");
    }
  });
});
