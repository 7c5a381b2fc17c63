import type { MatrixCase } from "../authz/matrix";

// Authorisation-matrix entries for the settings router (spread into tests/integration/authz/cases.ts).

const bounds = {
  maxCpuPercent: 400,
  maxMemoryMb: 4_096,
  maxPids: 1_024,
  maxDiskMb: 100_000,
  minSnapshotCadenceSec: 60,
  maxKeepAllMinutes: 1_440,
  maxKeepHourlyDays: 30,
  maxKeepDailyDays: 365,
};

export const settingsCases: Record<string, MatrixCase> = {
  "settings.get": { plainInput: undefined },
  "settings.update": { plainInput: { bounds, egressAllow: [] } },
};
