import { nativePasswordHash, userHost } from "./drivers/mariadb";
import { renderNginxConf, renderVhost } from "./drivers/nginx";
import { renderPhpFpmConf, renderPool } from "./drivers/php-fpm";
import type { ObservedTls } from "./drivers/tls";
import { certificateFiles, challengeFiles, renderTlsConf } from "../edge/render-tls";
import { limitsMatch, type ObservedLimits } from "./drivers/cgroup";
import { renderEgressRules, type NodeGroup } from "./drivers/egress";
import type { ObservedSiteStore } from "./drivers/site-store";
import { accountComment, type ObservedAccount } from "./drivers/unix-user";
import type { ObservedDatabases } from "./drivers/mariadb";
import type { NodeRoot } from "./node-root";
import type { StepObject } from "../../server/contract/node-apply";
import type { AccountLimits, AppSpec, NodeSpec } from "../../server/contract/node-spec";

// Reconcile, don't replay: the agent observes what the node has, plans what the spec wants, and
// diffNode turns the difference into an ordered list of idempotent steps, so a converge that was
// interrupted, or one run twice, ends in the same state. This file is pure (no I/O), so every
// ordering and every "nothing to do" case is unit tested.

/** What the spec means on this node, with every config file already rendered. */
export type DesiredNode = {
  nginxMain: string;
  /** The node's egress rules (drivers/egress.ts). */
  egressRules: string;
  /** One php-fpm master per account with at least one active site here, by username. */
  phpFpmMains: Record<string, string>;
  accounts: { id: string; username: string; limits: AccountLimits }[];
  sites: {
    id: string;
    username: string;
    documentRoot: string;
    vhost: string;
    pool: string | null;
    /** The app to install once; null for none, and while the site is suspended (its database is locked). */
    app: AppSpec | null;
  }[];
  databases: { name: string; users: { username: string; password: string; locked: boolean }[] }[];
  /** Sites kept here as snapshots only (spec.replicas): the account exists, nothing is served. */
  replicas: { id: string; username: string }[];
  /** The front door's TLS (worker/edge/render-tls.ts): tls.conf, certificate files by id, challenge answers by token. */
  tls: { conf: string; certificates: Record<string, { chain: string; key: string }>; challenges: Record<string, string> };
  /** The bench's node without limits (node-root.ts): no egress rules, cgroup limits or disk quotas. */
  unconfined?: true;
};

export type ObservedNode = {
  nginx: { running: boolean; main: string | null; vhosts: Record<string, string> };
  phpFpm: {
    /** The single master of earlier versions is still configured. */
    legacy: boolean;
    /** Account masters: whether each runs, and its config. */
    mains: Record<string, { running: boolean; main: string | null }>;
    /** Pools by site id, with the account directory they are in. */
    pools: Record<string, { username: string; content: string }>;
  };
  /** The egress rules in force, or null when none are loaded. */
  egress: string | null;
  accounts: ObservedAccount[];
  /** Each account's cgroup limits as in force on this node (null: no group yet). */
  cgroups: Record<string, ObservedLimits | null>;
  /** Each account's disk limit as last applied here, with the sites it covers (sorted). */
  quotas: Record<string, { limitBytes: number; siteIds: string[] }>;
  siteStores: ObservedSiteStore[];
  /** `state` is null while mariadbd is down: nothing can be observed then. */
  mariadb: { running: boolean; initialised: boolean; state: ObservedDatabases | null };
  /**
   * Install markers by site id (apps/marker.ts): the installed kind, null for a marker that can't be
   * read; a site without a marker is absent.
   */
  appMarkers: Record<string, string | null>;
  tls: ObservedTls;
};

export type Step =
  | { kind: "writeNginxMain"; content: string }
  | { kind: "retireSharedPhpFpm" }
  | { kind: "applyEgressRules"; content: string }
  | { kind: "ensureAccount"; accountId: string; username: string }
  | { kind: "ensureAccountCgroup"; username: string; limits: AccountLimits }
  | { kind: "writePhpFpmMain"; username: string; content: string | null }
  | { kind: "refuseSiteMove"; siteId: string; from: string; to: string }
  | { kind: "ensureSiteStore"; siteId: string; username: string; documentRoot: string }
  | { kind: "ensureAccountQuota"; username: string; diskMb: number; siteIds: string[] }
  | { kind: "installPool"; siteId: string; username: string; content: string | null }
  | { kind: "startPhpFpm"; username: string; sockets: string[] }
  | { kind: "reloadPhpFpm"; username: string; sockets: string[]; goneSockets: string[] }
  | { kind: "stopPhpFpm"; username: string }
  | { kind: "installVhost"; siteId: string; content: string | null }
  | { kind: "installCertificate"; certificateId: string; files: { chain: string; key: string } | null }
  | { kind: "writeTlsConf"; content: string }
  | { kind: "writeChallenges"; answers: Record<string, string> }
  | { kind: "startNginx" }
  | { kind: "reloadNginx" }
  | { kind: "startMariadb" }
  | { kind: "ensureDatabase"; name: string }
  | { kind: "setDatabaseUserLock"; username: string; locked: boolean }
  | { kind: "ensureDatabaseUser"; username: string; password: string; database: string }
  | { kind: "dropDatabaseUser"; username: string; host: string }
  | { kind: "dropDatabase"; name: string }
  | { kind: "installApp"; siteId: string; username: string; documentRoot: string; app: AppSpec }
  | { kind: "refuseAppChange"; siteId: string; installed: string; wanted: string }
  | { kind: "removeSiteStore"; siteId: string; username: string }
  /** A site this node no longer serves but keeps as a replica: the live volume goes, its snapshots stay. */
  | { kind: "demoteSiteStore"; siteId: string; username: string }
  | { kind: "removeAccount"; username: string };

/** Renders the spec for this node. Pure: the same node and spec always give the same files. */
export function planNode(node: NodeRoot, spec: NodeSpec, group: NodeGroup): DesiredNode {
  const accounts = new Map(spec.accounts.map((a) => [a.id, a]));
  const account = (id: string) => {
    const found = accounts.get(id);
    // parseNodeSpec guarantees every reference; reaching this is a programming error.
    if (!found) throw new Error(`Account ${id} is not in the spec.`);
    return found;
  };
  const sites = spec.sites.map((site) => {
      const owner = account(site.accountId);
      // A suspended account suspends all of its sites: none of its code runs.
      const status = owner.status === "SUSPENDED" ? "SUSPENDED" : site.status;
      const siteDir = node.siteDir(owner.username, site.id);
      return {
        id: site.id,
        username: owner.username,
        documentRoot: site.documentRoot,
        vhost: renderVhost(node, { siteId: site.id, domains: site.domains, status, siteDir, documentRoot: site.documentRoot, provider: owner.provider }),
        pool:
          status === "ACTIVE"
            ? renderPool(node, {
                siteId: site.id,
                username: owner.username,
                siteDir,
                siteTmpDir: node.siteTmpDir(owner.username, site.id),
                phpSettings: site.phpSettings,
                sendmailPath: node.sendmailPath,
              })
            : null,
        app: status === "ACTIVE" ? (site.app ?? null) : null,
      };
    });
  const withPools = [...new Set(sites.filter((s) => s.pool !== null).map((s) => s.username))].sort();
  return {
    nginxMain: renderNginxConf(node),
    egressRules: renderEgressRules(node, spec.egress, group),
    phpFpmMains: Object.fromEntries(withPools.map((username) => [username, renderPhpFpmConf(node, username)])),
    accounts: spec.accounts.map((a) => ({ id: a.id, username: a.username, limits: a.limits })),
    sites,
    databases: spec.databases.map((db) => ({
      name: db.name,
      users: db.users.map((u) => ({
        username: u.username,
        password: u.password,
        locked: account(db.accountId).status === "SUSPENDED",
      })),
    })),
    replicas: spec.replicas.map((r) => ({ id: r.siteId, username: account(r.accountId).username })),
    tls: { conf: renderTlsConf(node, spec.tls), certificates: certificateFiles(spec.tls), challenges: challengeFiles(spec.tls) },
    ...(node.unconfined ? { unconfined: true as const } : {}),
  };
}

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The steps that take `observed` to `desired`, in an order where each step's prerequisites come
 * first: accounts before their site stores, pools and vhosts before a reload, configs that stop
 * using an account before the account goes. An empty list means the node is converged.
 */
export function diffNode(observed: ObservedNode, desired: DesiredNode): Step[] {
  const steps: Step[] = [];
  if (observed.nginx.main !== desired.nginxMain) steps.push({ kind: "writeNginxMain", content: desired.nginxMain });
  if (observed.phpFpm.legacy) steps.push({ kind: "retireSharedPhpFpm" });
  // Before any account's code starts: nothing of a customer runs without its egress rules.
  const confined = !desired.unconfined;
  if (confined && observed.egress !== desired.egressRules) steps.push({ kind: "applyEgressRules", content: desired.egressRules });
  steps.push(...accountSteps(observed, desired));
  for (const account of confined ? desired.accounts : []) {
    if (!limitsMatch(observed.cgroups[account.username] ?? null, account.limits)) {
      steps.push({ kind: "ensureAccountCgroup", username: account.username, limits: account.limits });
    }
  }
  const { steps: storeSteps, moved } = siteStoreSteps(observed, desired);
  steps.push(...storeSteps);
  if (confined) steps.push(...quotaSteps(observed, desired, moved));
  // A site refused as moved is left as it is: nothing is written for it, and (it is in `keep`)
  // nothing of it is removed.
  const desiredSites = desired.sites.filter((s) => !moved.has(s.id));
  const keep = new Set(desired.sites.map((s) => s.id));
  steps.push(...poolSteps(observed, desired, desiredSites, keep));
  steps.push(...vhostSteps(observed, desired, desiredSites, keep, tlsSteps(observed, desired)));
  steps.push(...databaseSteps(observed, desired));
  steps.push(...appSteps(observed, desiredSites));
  steps.push(...leftoverStoreSteps(observed, desired, keep));
  const wantedAccounts = new Set(desired.accounts.map((a) => a.username));
  for (const account of observed.accounts) {
    if (!wantedAccounts.has(account.username)) steps.push({ kind: "removeAccount", username: account.username });
  }
  return steps;
}

type DesiredSite = DesiredNode["sites"][number];

function accountSteps(observed: ObservedNode, desired: DesiredNode): Step[] {
  const steps: Step[] = [];
  const observedAccounts = new Map(observed.accounts.map((a) => [a.username, a]));
  for (const account of desired.accounts) {
    const seen = observedAccounts.get(account.username);
    if (!seen || seen.userComment !== accountComment(account.id) || !seen.homeReady) {
      steps.push({ kind: "ensureAccount", accountId: account.id, username: account.username });
    }
  }
  return steps;
}

function siteStoreSteps(observed: ObservedNode, desired: DesiredNode): { steps: Step[]; moved: Set<string> } {
  const steps: Step[] = [];
  const stores = new Map<string, ObservedSiteStore[]>();
  for (const store of observed.siteStores) stores.set(store.siteId, [...(stores.get(store.siteId) ?? []), store]);
  // A site stored under another account is left exactly as it is: moving its files is not a
  // converge step, and re-creating it empty under the new account would look like data loss.
  const moved = new Set<string>();
  for (const site of desired.sites) {
    const elsewhere = (stores.get(site.id) ?? []).find((s) => s.username !== site.username);
    if (elsewhere) {
      moved.add(site.id);
      steps.push({ kind: "refuseSiteMove", siteId: site.id, from: elsewhere.username, to: site.username });
      continue;
    }
    const store = stores.get(site.id)?.[0];
    if (!store?.ready) {
      steps.push({ kind: "ensureSiteStore", siteId: site.id, username: site.username, documentRoot: site.documentRoot });
    }
  }
  return { steps, moved };
}

/**
 * Each account's disk limit over the live sites it has here, once their stores exist. A site
 * refused as moved counts for the account its volume is stored under. Replicas are left out: a
 * replica's copy is received as the platform's, and a full limit must never stop a failover copy.
 */
function quotaSteps(observed: ObservedNode, desired: DesiredNode, moved: Set<string>): Step[] {
  const steps: Step[] = [];
  const storedUnder = new Map(observed.siteStores.map((s) => [s.siteId, s.username]));
  const sitesOf = new Map<string, string[]>();
  for (const site of desired.sites) {
    const owner = moved.has(site.id) ? storedUnder.get(site.id) : site.username;
    if (owner !== undefined) sitesOf.set(owner, [...(sitesOf.get(owner) ?? []), site.id]);
  }
  for (const account of desired.accounts) {
    const siteIds = (sitesOf.get(account.username) ?? []).sort();
    const seen = observed.quotas[account.username];
    if (seen?.limitBytes !== account.limits.diskMb * 1024 ** 2 || !sameStrings(seen.siteIds, siteIds)) {
      steps.push({ kind: "ensureAccountQuota", username: account.username, diskMb: account.limits.diskMb, siteIds });
    }
  }
  return steps;
}

/**
 * php-fpm: a master per account with active sites here, a pool per active site. Each account's
 * master is started, or reloaded when its pools or config changed, on its own: a change to one
 * account never restarts another's PHP. A master left without pools is stopped and its config goes.
 */
function poolSteps(observed: ObservedNode, desired: DesiredNode, desiredSites: DesiredSite[], keep: Set<string>): Step[] {
  const steps: Step[] = [];
  const changed = new Set<string>();
  const servedBy = new Set(desiredSites.filter((s) => s.pool !== null).map((s) => s.username));
  const mains = Object.entries(desired.phpFpmMains).filter(([username]) => servedBy.has(username));
  // A site refused as moved keeps its pool where it is, and so its account's master.
  const desiredIds = new Set(desiredSites.map((s) => s.id));
  const kept = new Set(Object.entries(observed.phpFpm.pools).filter(([id]) => keep.has(id) && !desiredIds.has(id)).map(([, p]) => p.username));
  for (const [username, content] of mains) {
    if (observed.phpFpm.mains[username]?.main !== content) {
      steps.push({ kind: "writePhpFpmMain", username, content });
      changed.add(username);
    }
  }
  for (const site of desiredSites) {
    const current = observed.phpFpm.pools[site.id];
    if (current && current.username !== site.username) {
      // Left in another account's directory (not reachable through refuseSiteMove): removed there.
      steps.push({ kind: "installPool", siteId: site.id, username: current.username, content: null });
      changed.add(current.username);
    }
    const content = current?.username === site.username ? current.content : null;
    if (content !== site.pool) {
      steps.push({ kind: "installPool", siteId: site.id, username: site.username, content: site.pool });
      changed.add(site.username);
    }
  }
  for (const [siteId, pool] of Object.entries(observed.phpFpm.pools).sort(([a], [b]) => a.localeCompare(b))) {
    if (!keep.has(siteId)) {
      steps.push({ kind: "installPool", siteId, username: pool.username, content: null });
      changed.add(pool.username);
    }
  }
  for (const [username] of mains) {
    const sockets = desiredSites.filter((s) => s.pool !== null && s.username === username).map((s) => s.id);
    if (!observed.phpFpm.mains[username]?.running) {
      steps.push({ kind: "startPhpFpm", username, sockets });
    } else if (changed.has(username)) {
      const live = new Set(sockets);
      const goneSockets = Object.entries(observed.phpFpm.pools)
        .filter(([id, pool]) => pool.username === username && !live.has(id))
        .map(([id]) => id)
        .sort();
      steps.push({ kind: "reloadPhpFpm", username, sockets, goneSockets });
    }
  }
  for (const username of Object.keys(observed.phpFpm.mains).sort()) {
    if (servedBy.has(username) || kept.has(username)) continue;
    if (observed.phpFpm.mains[username]!.running) steps.push({ kind: "stopPhpFpm", username });
    steps.push({ kind: "writePhpFpmMain", username, content: null });
  }
  return steps;
}

/** nginx vhosts: one per site, active or suspended; then a start, or a reload when anything changed. */
function vhostSteps(observed: ObservedNode, desired: DesiredNode, desiredSites: DesiredSite[], keep: Set<string>, tls: { before: Step[]; after: Step[] }): Step[] {
  const steps: Step[] = [...tls.before];
  let vhostsChanged = tls.before.some((s) => s.kind !== "writeChallenges");
  for (const site of desiredSites) {
    if ((observed.nginx.vhosts[site.id] ?? null) !== site.vhost) {
      steps.push({ kind: "installVhost", siteId: site.id, content: site.vhost });
      vhostsChanged = true;
    }
  }
  for (const siteId of Object.keys(observed.nginx.vhosts).sort()) {
    if (!keep.has(siteId)) {
      steps.push({ kind: "installVhost", siteId, content: null });
      vhostsChanged = true;
    }
  }
  if (!observed.nginx.running) steps.push({ kind: "startNginx" });
  else if (vhostsChanged || observed.nginx.main !== desired.nginxMain) steps.push({ kind: "reloadNginx" });
  return [...steps, ...tls.after];
}

/**
 * The front door's TLS: new and changed certificates, then tls.conf that names them, before the
 * reload; certificates no longer named go after it (the running config still reads them until
 * then). Challenge answers are static files: no reload, first, so an order is never kept waiting
 * behind a reload.
 */
function tlsSteps(observed: ObservedNode, desired: DesiredNode): { before: Step[]; after: Step[] } {
  const before: Step[] = [];
  const after: Step[] = [];
  const seenChallenges = observed.tls.challenges;
  const wantedChallenges = desired.tls.challenges;
  const sameAnswers =
    Object.keys(seenChallenges).length === Object.keys(wantedChallenges).length &&
    Object.entries(wantedChallenges).every(([token, answer]) => seenChallenges[token] === answer);
  if (!sameAnswers) before.push({ kind: "writeChallenges", answers: wantedChallenges });
  for (const [id, files] of Object.entries(desired.tls.certificates).sort()) {
    const seen = observed.tls.certificates[id];
    if (seen?.chain !== files.chain || seen.key !== files.key) before.push({ kind: "installCertificate", certificateId: id, files });
  }
  if (observed.tls.conf !== desired.tls.conf) before.push({ kind: "writeTlsConf", content: desired.tls.conf });
  for (const id of Object.keys(observed.tls.certificates).sort()) {
    if (!(id in desired.tls.certificates)) after.push({ kind: "installCertificate", certificateId: id, files: null });
  }
  return { before, after };
}

/**
 * MariaDB: running whenever the node has or had databases, so leftovers can be seen and dropped,
 * and wherever it keeps replicas: a failover promotes one here, and loading its databases must
 * not wait for a first install-db and start (seconds, in the middle of the outage).
 */
function databaseSteps(observed: ObservedNode, desired: DesiredNode): Step[] {
  const wantsMariadb = desired.databases.length > 0 || desired.replicas.length > 0 || observed.mariadb.initialised;
  if (!wantsMariadb) return [];
  const steps: Step[] = [];
  if (!observed.mariadb.running) steps.push({ kind: "startMariadb" });
  // While mariadbd is down nothing is known: plan as if it were empty (every step is
  // idempotent), and let the next converge find anything to drop.
  const state = observed.mariadb.state ?? { databases: [], users: [] };
  const haveDatabases = new Set(state.databases);
  const wantedUsers = new Set<string>();
  for (const db of desired.databases) {
    if (!haveDatabases.has(db.name)) steps.push({ kind: "ensureDatabase", name: db.name });
    for (const user of db.users) {
      wantedUsers.add(`${user.username}@${userHost}`);
      steps.push(...databaseUserSteps(state, db.name, user));
    }
  }
  for (const user of state.users) {
    if (!wantedUsers.has(`${user.username}@${user.host}`)) {
      steps.push({ kind: "dropDatabaseUser", username: user.username, host: user.host });
    }
  }
  const wantedDatabases = new Set(desired.databases.map((d) => d.name));
  for (const name of state.databases) {
    if (!wantedDatabases.has(name)) steps.push({ kind: "dropDatabase", name });
  }
  return steps;
}

function databaseUserSteps(state: ObservedDatabases, database: string, user: DesiredNode["databases"][number]["users"][number]): Step[] {
  const steps: Step[] = [];
  const seen = state.users.find((u) => u.username === user.username && u.host === userHost);
  const wasLocked = seen?.locked ?? false;
  // Unlock first and lock last: ensureDatabaseUser proves the login, which a lock refuses.
  if (seen && wasLocked && !user.locked) steps.push({ kind: "setDatabaseUserLock", username: user.username, locked: false });
  if (!seen || seen.passwordHash !== nativePasswordHash(user.password) || !sameStrings(seen.grants, [database])) {
    steps.push({ kind: "ensureDatabaseUser", username: user.username, password: user.password, database });
  }
  if (user.locked && (!seen || !wasLocked)) steps.push({ kind: "setDatabaseUserLock", username: user.username, locked: true });
  return steps;
}

/**
 * Apps last among the additions: they need the store, the pool (their PHP runs as the account)
 * and their database. An installed app is never touched again: its files are the customer's.
 */
function appSteps(observed: ObservedNode, desiredSites: DesiredSite[]): Step[] {
  const steps: Step[] = [];
  for (const site of desiredSites) {
    if (!site.app) continue;
    if (!(site.id in observed.appMarkers)) {
      steps.push({ kind: "installApp", siteId: site.id, username: site.username, documentRoot: site.documentRoot, app: site.app });
      continue;
    }
    const installed = observed.appMarkers[site.id];
    if (installed !== null && installed !== undefined && installed !== site.app.kind) {
      steps.push({ kind: "refuseAppChange", siteId: site.id, installed, wanted: site.app.kind });
    }
  }
  return steps;
}

/**
 * Stores of sites not served here, after the pool and vhost that used them are gone. A replica's
 * live volume is what is left of the site from when this node served it (a planned move or a
 * failover made another node live): its files are the other node's now, but its snapshots are
 * the base of the incremental streams that keep this copy fresh, so only the live volume goes.
 * A replica's databases need no step here: the spec's databases are what stays, so the site's
 * are dropped unless the spec still lists them. Anything in neither list goes with its snapshots.
 */
function leftoverStoreSteps(observed: ObservedNode, desired: DesiredNode, keep: Set<string>): Step[] {
  const steps: Step[] = [];
  const replicaOwner = new Map(desired.replicas.map((r) => [r.id, r.username]));
  for (const store of observed.siteStores) {
    if (keep.has(store.siteId)) continue;
    const owner = replicaOwner.get(store.siteId);
    if (owner === undefined) steps.push({ kind: "removeSiteStore", siteId: store.siteId, username: store.username });
    else if (owner === store.username) steps.push({ kind: "demoteSiteStore", siteId: store.siteId, username: store.username });
    // Under another account: the snapshots are the site's (they are by site id), and deleting
    // that volume, or its snapshots with it, is not a converge's call.
    else steps.push({ kind: "refuseSiteMove", siteId: store.siteId, from: store.username, to: owner });
  }
  return steps;
}

/** A one-line description of a step for results and logs; never includes a password. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "writeNginxMain":
      return "write nginx.conf";
    case "retireSharedPhpFpm":
      return "retire the node's shared php-fpm";
    case "applyEgressRules":
      return "apply egress rules";
    case "writePhpFpmMain":
      return step.content === null ? `remove php-fpm of ${step.username}` : `write php-fpm config of ${step.username}`;
    case "ensureAccount":
      return `ensure account ${step.username}`;
    case "ensureAccountCgroup":
      return `ensure limits of ${step.username}`;
    case "refuseSiteMove":
      return `site ${step.siteId} is stored under ${step.from}, not ${step.to}`;
    case "ensureSiteStore":
      return `ensure site store ${step.siteId} (${step.username}/${step.documentRoot})`;
    case "ensureAccountQuota":
      return `ensure disk limit of ${step.username} (${step.diskMb} MB)`;
    case "installPool":
      return step.content === null ? `remove php-fpm pool ${step.siteId}` : `write php-fpm pool ${step.siteId}`;
    case "startPhpFpm":
      return `start php-fpm of ${step.username}`;
    case "reloadPhpFpm":
      return `reload php-fpm of ${step.username}`;
    case "stopPhpFpm":
      return `stop php-fpm of ${step.username}`;
    case "installVhost":
      return step.content === null ? `remove vhost ${step.siteId}` : `write vhost ${step.siteId}`;
    case "installCertificate":
      return step.files === null ? `remove certificate ${step.certificateId}` : `write certificate ${step.certificateId}`;
    case "writeTlsConf":
      return "write the front door's TLS config";
    case "writeChallenges":
      return `write ${Object.keys(step.answers).length} ACME challenge answer(s)`;
    case "startNginx":
      return "start nginx";
    case "reloadNginx":
      return "reload nginx";
    case "startMariadb":
      return "start mariadbd";
    case "ensureDatabase":
      return `ensure database ${step.name}`;
    case "setDatabaseUserLock":
      return `${step.locked ? "lock" : "unlock"} database user ${step.username}`;
    case "ensureDatabaseUser":
      return `ensure database user ${step.username} on ${step.database}`;
    case "dropDatabaseUser":
      return `drop database user ${step.username}@${step.host}`;
    case "dropDatabase":
      return `drop database ${step.name}`;
    case "installApp":
      return `install ${step.app.kind} on site ${step.siteId} (${step.username}/${step.documentRoot})`;
    case "refuseAppChange":
      return `site ${step.siteId} has ${step.installed} installed, not ${step.wanted}`;
    case "removeSiteStore":
      return `remove site store ${step.siteId} (${step.username})`;
    case "demoteSiteStore":
      return `remove the live volume of replica ${step.siteId} (${step.username}), keeping its snapshots`;
    case "removeAccount":
      return `remove account ${step.username}`;
  }
}

/**
 * The spec objects a step concerns, by their spec ids: what a failed step's result names, so the
 * control plane can record every other object as converged. A site is named by its id even when
 * the spec no longer holds it (its store being removed); an account or a database only when the
 * spec holds it (the step names it by its username or name). Node-wide steps concern none.
 */
export function stepObjects(step: Step, spec: NodeSpec): StepObject[] {
  const site = (id: string): StepObject[] => [{ kind: "site", id }];
  const accounts = (...usernames: string[]): StepObject[] =>
    spec.accounts.filter((a) => usernames.includes(a.username)).map((a) => ({ kind: "account", id: a.id }));
  const databases = (match: (d: NodeSpec["databases"][number]) => boolean): StepObject[] =>
    spec.databases.filter(match).map((d) => ({ kind: "database", id: d.id }));
  const withUser = (username: string) => (d: NodeSpec["databases"][number]) => d.users.some((u) => u.username === username);
  switch (step.kind) {
    case "writeNginxMain":
    case "retireSharedPhpFpm":
    case "applyEgressRules":
    case "startNginx":
    case "reloadNginx":
    case "startMariadb":
    case "installCertificate":
    case "writeTlsConf":
    case "writeChallenges":
      return [];
    case "ensureAccount":
    case "removeAccount":
    case "ensureAccountCgroup":
    case "ensureAccountQuota":
    case "writePhpFpmMain":
    case "startPhpFpm":
    case "reloadPhpFpm":
    case "stopPhpFpm":
      return accounts(step.username);
    case "refuseSiteMove":
      return [...site(step.siteId), ...accounts(step.from, step.to)];
    case "ensureSiteStore":
    case "installApp":
    case "removeSiteStore":
    case "demoteSiteStore":
      return [...site(step.siteId), ...accounts(step.username)];
    case "installPool":
    case "installVhost":
    case "refuseAppChange":
      return site(step.siteId);
    case "ensureDatabase":
    case "dropDatabase":
      return databases((d) => d.name === step.name);
    case "setDatabaseUserLock":
    case "dropDatabaseUser":
      return databases(withUser(step.username));
    case "ensureDatabaseUser":
      return databases((d) => d.name === step.database || withUser(step.username)(d));
  }
}
