import type { MatrixCase, Tenant, World } from "../authz/matrix";

const customerLogin = (w: World, t: Tenant) =>
  ({ A: w.users.customerA, B: w.users.customerB, S: w.users.customerSubA })[t].id;

// Authorisation-matrix entries for the session router (spread into tests/integration/authz/cases.ts).
// The matrix's callers carry a made-up session id, so an allowed "log in as" gets as far as looking
// up the caller's own session and stops there (UNAUTHORIZED); tenancy is decided before that, so a
// foreign target is still NOT_FOUND. impersonation.test.ts covers the real thing with real sessions.
export const sessionCases: Record<string, MatrixCase> = {
  "session.me": {},
  "session.startImpersonation": {
    input: async (w, t) => ({ userId: customerLogin(w, t) }),
    ownOutcome: "UNAUTHORIZED",
  },
  // Nobody in the matrix is impersonating, so stopping is a precondition failure for everyone.
  "session.stopImpersonation": { ownOutcome: "PRECONDITION_FAILED" },
};
