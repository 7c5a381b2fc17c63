import type { MatrixCase } from "./matrix";

// One entry per procedure; see matrix.ts for what each field means.
export const cases: Record<string, MatrixCase> = {};
