// Pure rules of a planned move; its steps, in order, are moveStepKinds in operation-kinds.ts. The
// pre-copy also stages the target (a standby volume, databases, vhost and pool, unrouted), so the
// steps between pause and release only hold, drain, copy the last delta and swap it in.

/**
 * The route table with the moving site's entry sent through every edge's hold service
 * (worker/edge/route-table.ts, viaHold), so that its pause and release need no nginx reload.
 * Pure; the other entries are returned as they are.
 */
export function withViaHold<R extends { siteId: string }>(routes: readonly R[], siteId: string): (R & { viaHold?: true })[] {
  return routes.map((r) => (r.siteId === siteId ? { ...r, viaHold: true as const } : r));
}

type SpecShape = {
  accounts: { id: string }[];
  sites: Record<string, unknown>[];
  databases: { name: string }[];
  replicas?: { siteId: string }[];
};

/**
 * The spec the move's target converges before the pause: its own (where the site is a replica)
 * with the site, its account and its databases as the source's spec has them, and the site no
 * longer among its replicas (a node serves a site or keeps a copy, never both). Pure.
 */
export function targetSpecAfterMove<T extends SpecShape>(onTarget: T, onSource: T, siteId: string, databases: readonly string[]): T {
  const site = onSource.sites.find((s) => String(s.id) === siteId);
  if (!site) throw new Error(`Site ${siteId} is not in its live node's spec (a suspended account, or left out as invalid).`);
  const accountId = String(site.accountId);
  const account = onSource.accounts.find((a) => a.id === accountId);
  if (!account) throw new Error(`The account of site ${siteId} is not in its live node's spec.`);
  const wanted = new Set(databases);
  const missing = databases.filter((name) => !onSource.databases.some((d) => d.name === name));
  if (missing.length) throw new Error(`Database ${missing.join(", ")} of site ${siteId} is not in its live node's spec.`);
  return {
    ...onTarget,
    accounts: onTarget.accounts.some((a) => a.id === accountId) ? onTarget.accounts : [...onTarget.accounts, account],
    sites: [...onTarget.sites.filter((s) => String(s.id) !== siteId), site],
    databases: [...onTarget.databases.filter((d) => !wanted.has(d.name)), ...onSource.databases.filter((d) => wanted.has(d.name))],
    replicas: (onTarget.replicas ?? []).filter((r) => r.siteId !== siteId),
  };
}
