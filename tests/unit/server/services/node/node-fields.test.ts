import { describe, expect, it } from "vitest";
import { nodeLoad, toNodeView, type NodeRow } from "../../../../../server/services/node/node-fields";

const metrics = {
  at: "2030-01-01T00:00:00.000Z",
  uptimeSec: 5,
  cpu: { cores: 4, load1: 1.5, usagePct: 12.5 },
  memory: { totalMb: 8000, availableMb: 6000, agentRssMb: 50 },
  disk: { totalMb: 50_000, usedMb: 10_000, freeMb: 40_000 },
  sites: { "a.test": { requestsPerSec: 1.25, errorsPerSec: 0 } },
};

describe("nodeLoad", () => {
  it("turns a heartbeat into the figures the nodes page shows", () => {
    expect(nodeLoad(metrics)).toEqual({
      cpuPct: 12.5,
      load1: 1.5,
      cores: 4,
      memoryUsedMb: 2000,
      memoryTotalMb: 8000,
      diskUsedMb: 10_000,
      diskTotalMb: 50_000,
      requestsPerSec: 1.25,
    });
  });

  it("shows nothing for the empty default, a foreign shape or extra keys", () => {
    expect(nodeLoad({})).toBeNull();
    expect(nodeLoad(null)).toBeNull();
    expect(nodeLoad({ ...metrics, cpu: { ...metrics.cpu, usagePct: -1 } })).toBeNull();
    expect(nodeLoad({ ...metrics, secret: "x" })).toBeNull();
  });
});

describe("toNodeView", () => {
  it("drops the raw metrics and measures the heartbeat's age on the server's clock", () => {
    const now = new Date("2030-01-01T00:00:10.900Z");
    const row = {
      id: "n1",
      lastHeartbeatAt: new Date("2030-01-01T00:00:08.000Z"),
      metrics,
      _count: { placements: 3 },
    } as unknown as NodeRow;
    const view = toNodeView(row, now);
    expect(view).not.toHaveProperty("metrics");
    expect(view).not.toHaveProperty("_count");
    expect(view).toMatchObject({ siteCount: 3, heartbeatAgeSec: 2, load: { cpuPct: 12.5 } });
    expect(toNodeView({ ...row, lastHeartbeatAt: null }, now).heartbeatAgeSec).toBeNull();
  });
});
