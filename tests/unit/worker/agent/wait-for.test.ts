import { describe, expect, it } from "vitest";
import { waitFor } from "../../../../worker/agent/wait-for";

describe("waitFor", () => {
  it("keeps polling while the check answers null, undefined or false, and returns the first other answer", async () => {
    const answers: (number | null | undefined | false)[] = [null, undefined, false, null, 0];
    let calls = 0;
    const value = await waitFor("a pid", () => answers[calls++], { intervalMs: 1 });
    expect(value).toBe(0);
    expect(calls).toBe(5);
  });

  it("times out on a check that only ever answers null (a pid file never written)", async () => {
    await expect(waitFor("the pid file", () => null, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(/Timed out after 20 ms waiting for the pid file/);
  });
});
