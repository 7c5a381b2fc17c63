import type { makeWorld } from "../../helpers/fixtures";

export type World = Awaited<ReturnType<typeof makeWorld>>;
/** Whose object a case targets: reseller A's tree (A), reseller B's (B), or sub-reseller subA's (S). */
export type Tenant = "A" | "B" | "S";

/**
 * One entry per tRPC procedure. `input` builds the input for an object owned by the given tenant
 * (creating fresh rows when the call would consume them, e.g. a delete). Without `input` the
 * procedure has no tenant-owned argument (lists, own settings): only the role rule is checked.
 */
export type MatrixCase = {
  input?: (w: World, tenant: Tenant) => Promise<unknown>;
  /** Input for procedures without a tenant-owned argument. */
  plainInput?: unknown;
  /** What an allowed caller gets on its own object, when not plain success (e.g. a precondition). */
  ownOutcome?: string;
};

export type Actor = "anonymous" | "admin" | "resellerA" | "resellerB" | "subA" | "customerA" | "customerB";

/** Which tenants' objects each actor owns (sees); everything else must read as NOT_FOUND. */
export const owns: Record<Exclude<Actor, "anonymous">, Tenant[]> = {
  admin: ["A", "B", "S"],
  resellerA: ["A", "S"],
  resellerB: ["B"],
  subA: ["S"],
  customerA: ["A"],
  customerB: ["B"],
};
