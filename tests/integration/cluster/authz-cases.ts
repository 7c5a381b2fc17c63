import type { MatrixCase } from "../authz/matrix";

// Authorisation-matrix entries for the cluster router (spread into tests/integration/authz/cases.ts).
export const clusterCases: Record<string, MatrixCase> = {
  "cluster.getMap": { plainInput: undefined },
  "cluster.getHealth": { plainInput: undefined },
};
