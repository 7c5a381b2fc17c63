import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { installApp } from "./apps/install-app";
import { readAppMarker } from "./apps/marker";
import { readTextIfExists, replaceAllChecked } from "./config-file";
import { startConvergeTimer, type ConvergeTimer } from "./converge-timing";
import { concernsSpecObject, nonConvergentSteps, reloadCause, reloadOf, RewriteCounter, rewrittenResult, withoutHeld } from "./convergence";
import { settleEachLimited } from "./each-limited";
import { describeStep, diffNode, planNode, stepObjects, type ObservedNode, type Step } from "./diff-node";
import * as mariadb from "./drivers/mariadb";
import * as nginx from "./drivers/nginx";
import * as cgroup from "./drivers/cgroup";
import * as egress from "./drivers/egress";
import * as phpFpm from "./drivers/php-fpm";
import { convergeDns, stopPdns } from "./drivers/pdns";
import { ensureSendmail } from "./drivers/sendmail";
import * as siteStore from "./drivers/site-store";
import * as tls from "./drivers/tls";
import * as unixUser from "./drivers/unix-user";
import { ensureNodeLayout, type NodeRoot } from "./node-root";
import { ensureAccountQuotas, readLimitRecords, removeAccountQuota } from "./storage/account-quota";
import type { StepResult } from "../../server/contract/node-apply";
import { objectIdPattern, parseNodeSpec } from "../../server/contract/node-spec";
import { waitFor } from "./wait-for";


/** `<id>.conf` files of a config directory, by id (temp files and strays are not ours). */
async function readConfigs(dir: string): Promise<Record<string, string>> {
  const configs: Record<string, string> = {};
  for (const name of (await readdir(dir).catch(() => [])).sort()) {
    const match = /^(.+)\.conf$/.exec(name);
    if (!match?.[1] || !objectIdPattern.test(match[1])) continue;
    const content = await readTextIfExists(path.join(dir, name));
    if (content !== null) configs[match[1]] = content;
  }
  return configs;
}

/** Each account master's running state and config, and every pool by site id. */
async function observePhpFpm(node: NodeRoot): Promise<ObservedNode["phpFpm"]> {
  const mains: ObservedNode["phpFpm"]["mains"] = {};
  const pools: ObservedNode["phpFpm"]["pools"] = {};
  const usernames = new Set(await phpFpm.phpFpmAccounts(node));
  for (const entry of await readdir(node.poolsDir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) usernames.add(entry.name);
  }
  for (const username of [...usernames].sort()) {
    mains[username] = { running: (await phpFpm.phpFpmPid(node, username)) !== null, main: await readTextIfExists(node.phpFpmConf(username)) };
    for (const [siteId, content] of Object.entries(await readConfigs(node.poolDir(username)))) pools[siteId] = { username, content };
  }
  return { legacy: await phpFpm.hasLegacyPhpFpm(node), mains, pools };
}

/**
 * What a recheck (observing again right after the steps) may take from the first observation: the
 * parts that cost a process or a database round trip, when no step that succeeded touched them.
 * Only steps that succeeded are checked against the second diff (convergence.ts), and an
 * account's own steps never are, so its cgroup and quota figures are never needed again.
 */
export type Recheck = { previous: ObservedNode; egress: boolean; mariadb: boolean };

const databaseKinds = new Set<Step["kind"]>(["startMariadb", "ensureDatabase", "setDatabaseUserLock", "ensureDatabaseUser", "dropDatabaseUser", "dropDatabase"]);

/** The recheck for these succeeded steps: the egress rules and MariaDB only if a step changed them. */
export function recheckOf(previous: ObservedNode, succeeded: Iterable<Step>): Recheck {
  const kinds = new Set([...succeeded].map((s) => s.kind));
  return { previous, egress: kinds.has("applyEgressRules"), mariadb: [...kinds].some((k) => databaseKinds.has(k)) };
}

export async function observeNode(node: NodeRoot, documentRoots: ReadonlyMap<string, string>, recheck?: Recheck): Promise<ObservedNode> {
  const accounts = await unixUser.observeAccounts(node);
  const cgroups: ObservedNode["cgroups"] = recheck ? recheck.previous.cgroups : {};
  if (!recheck) {
    for (const username of new Set([...accounts.map((a) => a.username), ...(await cgroup.accountGroups(node))])) {
      cgroups[username] = await cgroup.readAccountCgroupLimits(node, username);
    }
  }
  const siteStores = await siteStore.observeSiteStores(node, documentRoots);
  const appMarkers: Record<string, string | null> = {};
  for (const store of siteStores) {
    const marker = await readAppMarker(node.siteVolumeDir(store.username, store.siteId));
    if (marker) appMarkers[store.siteId] = marker.kind;
  }
  return {
    nginx: {
      running: (await nginx.nginxPid(node)) !== null,
      main: await readTextIfExists(node.nginxConf),
      vhosts: await readConfigs(node.vhostDir),
    },
    phpFpm: await observePhpFpm(node),
    egress: recheck && !recheck.egress ? recheck.previous.egress : await egress.observeEgressRules(node),
    accounts,
    cgroups,
    quotas: recheck ? recheck.previous.quotas : Object.fromEntries(await readLimitRecords(node)),
    siteStores,
    mariadb: recheck && !recheck.mariadb ? recheck.previous.mariadb : await observeMariadb(node),
    appMarkers,
    tls: await tls.observeTls(node),
  };
}

async function observeMariadb(node: NodeRoot): Promise<ObservedNode["mariadb"]> {
  const running = (await mariadb.mariadbPid(node)) !== null;
  return { running, initialised: await mariadb.mariadbInitialised(node), state: running ? await mariadb.observeDatabases(node) : null };
}

async function isSocket(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isSocket() ?? false;
}

/**
 * php-fpm answers SIGUSR2 before its new pools listen: wait until the sockets say so. Only pools
 * whose file is installed count; a pool rolled back or skipped earlier in this converge has none.
 */
async function waitForSockets(node: NodeRoot, username: string, wanted: readonly string[], gone: readonly string[]): Promise<void> {
  const present: string[] = [];
  for (const id of wanted) if ((await readTextIfExists(node.poolFile(username, id))) !== null) present.push(id);
  // A reload waits for running requests (up to the grace php-fpm.ts gives them) before the new
  // pools listen.
  // A master that died meanwhile never makes its sockets: say so now rather than after the grace
  // (gone for a second on end, since a master from before -F changes its pid at each reload).
  let goneSince: number | null = null;
  const outcome = await waitFor(`the php-fpm pool sockets of ${username} to match its pools`, async () => {
    if ((await phpFpm.phpFpmPid(node, username)) === null) {
      goneSince ??= Date.now();
      return Date.now() - goneSince >= 1000 ? "gone" : false;
    }
    goneSince = null;
    for (const id of present) if (!(await isSocket(node.poolSocket(id)))) return false;
    for (const id of gone) if (await isSocket(node.poolSocket(id))) return false;
    return "ready";
  }, { timeoutMs: (phpFpm.reloadGraceSeconds + 10) * 1000, intervalMs: 10 });
  if (outcome === "gone") throw new Error(`php-fpm of ${username} stopped before its pools were listening; see its log.`);
}

async function applyStep(node: NodeRoot, step: Step): Promise<void> {
  switch (step.kind) {
    case "writeNginxMain":
      return nginx.ensureNginxMain(node);
    case "retireSharedPhpFpm":
      return phpFpm.retireLegacyPhpFpm(node);
    case "applyEgressRules":
      return egress.applyEgressRules(node, step.content);
    case "writePhpFpmMain":
      return phpFpm.writePhpFpmMain(node, step.username, step.content);
    case "ensureAccount":
      return unixUser.ensureUnixUser(node, { id: step.accountId, username: step.username });
    case "ensureAccountCgroup":
      return cgroup.ensureAccountCgroup(node, step.username, step.limits);
    case "refuseSiteMove":
      throw new Error(
        `Site ${step.siteId} is stored under account ${step.from} on this node; moving it to ${step.to} is not a converge step.`,
      );
    case "ensureSiteStore":
      return siteStore.ensureSiteStore(node, step);
    case "installPool":
      return phpFpm.installPool(node, step.username, step.siteId, step.content);
    case "startPhpFpm": {
      const started = await phpFpm.startPhpFpm(node, step.username);
      return Promise.race([waitForSockets(node, step.username, step.sockets, []), started.exited]);
    }
    case "reloadPhpFpm": {
      const started = await phpFpm.reloadPhpFpm(node, step.username);
      return Promise.race([waitForSockets(node, step.username, step.sockets, step.goneSockets), started.exited]);
    }
    case "stopPhpFpm":
      return phpFpm.stopPhpFpm(node, step.username);
    case "installVhost":
      return nginx.installVhost(node, step.siteId, step.content);
    case "installCertificate":
      return tls.installCertificate(node, step.certificateId, step.files);
    case "writeTlsConf":
      return tls.writeTlsConf(node, step.content);
    case "writeChallenges":
      return tls.writeChallenges(node, step.answers);
    case "startNginx":
      return nginx.startNginx(node);
    case "reloadNginx":
      // A converge answers when its change is in force: the next request sees the new vhosts.
      return nginx.reloadNginxAndWait(node);
    case "startMariadb":
      return mariadb.startMariadb(node);
    case "ensureDatabase":
      return mariadb.ensureDatabase(node, step.name);
    case "setDatabaseUserLock":
      return mariadb.setDatabaseUserLocked(node, step.username, step.locked);
    case "ensureDatabaseUser":
      return mariadb.ensureDatabaseUser(node, step);
    case "dropDatabaseUser":
      return mariadb.dropDatabaseUser(node, step.username, step.host);
    case "dropDatabase":
      return mariadb.dropDatabase(node, step.name);
    case "installApp":
      return installApp(node, step);
    case "refuseAppChange":
      throw new Error(
        `Site ${step.siteId} has ${step.installed} installed; changing it to ${step.wanted} is not a converge step (the installed files are the customer's).`,
      );
    case "removeSiteStore":
      return siteStore.removeSiteStore(node, step);
    case "demoteSiteStore":
      return siteStore.removeSiteStore(node, step, { keepSnapshots: true });
    case "ensureAccountQuota": {
      const [error] = await ensureAccountQuotas(node, [step]);
      if (error) throw error;
      return;
    }
    case "removeAccount":
      await removeAccountQuota(node, step.username);
      return unixUser.removeUnixUser(node, step.username);
  }
}

/**
 * Brings the node to `input` (untrusted: parsed here, and an invalid spec throws InvalidSpecError
 * before anything on the node is touched). Every step runs even if an earlier one failed, so one
 * broken site does not hold back the others; a step that depends on a failed one fails with its
 * own message. Returns one result per step; none means the node was already converged.
 */
export type ConvergeOptions = {
  /**
   * Leave the nginx reload to the caller (it applies a route table next and reloads once for
   * both): set to true by converge when a reload is due, and the "reload nginx" result is then
   * the caller's to settle.
   */
  deferNginxReload?: { pending: boolean };
  /** Where the converge's phases and steps are timed (converge-timing.ts); the caller reports them. */
  timer?: ConvergeTimer;
};

/** How many accounts' php-fpm masters are checked, started or reloaded at once. */
const masterConcurrency = 4;

/** The agent's memory of recent config writes, across converges (see RewriteCounter). */
const rewrites = new RewriteCounter();

export async function converge(node: NodeRoot, input: unknown, options: ConvergeOptions = {}): Promise<StepResult[]> {
  const spec = parseNodeSpec(input);
  const timer = options.timer ?? startConvergeTimer();
  await timer.phase("prepare", async () => {
    await ensureNodeLayout(node);
    // Every pool's sendmail_path names it; it must exist before any pool can run mail().
    await ensureSendmail(node);
  });
  // DNS first: its zones are the same on every node and need nothing below, so a record change
  // (or a dead node's address leaving the answers) is in force before the rest of the node is
  // even observed.
  const dnsResults = await timer.phase("steps", () => convergeDns(node, spec.zones));
  const documentRoots = new Map(spec.sites.map((s) => [s.id, s.documentRoot]));
  const observed = await timer.phase("observe", () => observeNode(node, documentRoots));
  const group = await timer.phase("prepare", async () => {
    await cgroup.ensureNodeCgroup(node);
    return egress.nodeGroup(node);
  });
  const desired = planNode(node, spec, group);
  const held = new Set(spec.held);
  const steps = withoutHeld(diffNode(observed, desired), held, spec);
  const accountOf = new Map(spec.sites.map((s) => [s.id, spec.accounts.find((a) => a.id === s.accountId)!.username]));
  // A site whose account or store could not be made must not get a pool or vhost: php-fpm would
  // happily run it as a same-named user that is not the account's.
  const blocked = new Map<string, string>();
  const results: StepResult[] = [...dnsResults];
  // Nothing of an account runs unless its limits and the node's egress rules are in force.
  const startsCode = (step: Step) => step.kind === "startPhpFpm" || step.kind === "reloadPhpFpm" || step.kind === "installApp";
  const blockReason = (step: Step) => {
    const siteId = "siteId" in step && ("content" in step ? step.content !== null : true) ? step.siteId : null;
    // An account that failed gets no limits, master config or master of its own either.
    const ofAccount = startsCode(step) || step.kind === "ensureAccountCgroup" || (step.kind === "writePhpFpmMain" && step.content !== null);
    const username = siteId ? accountOf.get(siteId) : "username" in step && ofAccount ? step.username : undefined;
    if (startsCode(step) && blocked.has("egress")) return blocked.get("egress")!;
    return (siteId && blocked.get(siteId)) || (username && blocked.get(`account:${username}`)) || null;
  };
  // Pools and vhosts that follow one another are written together and checked once (when the
  // loop reaches the first of them, so the accounts and stores before them exist); only when that
  // check fails are they installed one at a time, so the bad one fails on its own.
  const batched = new Set<Step>();
  const tryBatch = async (i: number) => {
    const first = steps[i]!;
    let j = i;
    while (j < steps.length && steps[j]!.kind === first.kind) j++;
    const run = steps.slice(i, j).filter((s) => !blockReason(s)) as Extract<Step, { kind: "installPool" | "installVhost" }>[];
    if (run.length < 2) return;
    const file = (s: (typeof run)[number]) => (s.kind === "installPool" ? node.poolFile(s.username, s.siteId) : node.vhostFile(s.siteId));
    const usernames = [...new Set(run.flatMap((s) => (s.kind === "installPool" && s.content !== null ? [s.username] : [])))];
    const check =
      first.kind === "installPool"
        ? async () => {
            // Every account's pools in one php-fpm; on failure the loop installs them one by one.
            await phpFpm.checkPoolsTogether(node, usernames);
          }
        : () => nginx.checkNginxConfig(node);
    for (const username of usernames) await mkdir(node.poolDir(username), { recursive: true, mode: 0o700 });
    const ok = await timer.step(first.kind, () => replaceAllChecked(run.map((s) => ({ file: file(s), content: s.content })), check)).then(() => true, () => false);
    if (ok) run.forEach((s) => batched.add(s));
  };
  // What this converge changed, for the reloads (see convergence.ts), and the steps that
  // succeeded with where their results are, for the check after the last step.
  const changed = new Set<string>();
  const succeeded = new Map<Step, number>();
  const succeed = (step: Step) => {
    const cause = reloadCause(step);
    if (cause) changed.add(cause);
    succeeded.set(step, results.length);
    results.push({ step: describeStep(step), kind: step.kind, ok: true });
  };
  // Starts and reloads of different accounts' masters that follow one another run side by side
  // (each waits for its own sockets); their outcomes are taken in order below.
  const masterOutcomes = new Map<Step, Error | null>();
  const runMasters = async (i: number) => {
    let j = i;
    while (j < steps.length && (steps[j]!.kind === "startPhpFpm" || steps[j]!.kind === "reloadPhpFpm")) j++;
    const run = steps.slice(i, j).filter((s) => !blockReason(s) && (reloadOf(s) === null || changed.has(reloadOf(s)!)));
    const outcomes = await settleEachLimited(run, masterConcurrency, (s) => timer.step(s.kind, () => applyStep(node, s)));
    run.forEach((s, k) => masterOutcomes.set(s, outcomes[k] ?? null));
  };
  const stepsStarted = performance.now();
  // The disk limits of every account that needs one, in one pass over the quota table (its
  // outcomes taken in order below, like the masters').
  const quotaOutcomes = new Map<Step, Error | null>();
  const runQuotas = async (i: number) => {
    let j = i;
    while (j < steps.length && steps[j]!.kind === "ensureAccountQuota") j++;
    const run = steps.slice(i, j).filter((s) => !blockReason(s)) as Extract<Step, { kind: "ensureAccountQuota" }>[];
    if (run.length < 2) return;
    const outcomes = await timer.step("ensureAccountQuota", () => ensureAccountQuotas(node, run));
    run.forEach((s, k) => quotaOutcomes.set(s, outcomes[k] ?? null));
  };
  for (const [index, step] of steps.entries()) {
    const base = { step: describeStep(step), kind: step.kind };
    const failed = (error: string): StepResult => ({ ...base, ok: false, error, objects: stepObjects(step, spec) });
    const previous = steps[index - 1];
    if ((step.kind === "installPool" || step.kind === "installVhost") && previous?.kind !== step.kind) await tryBatch(index);
    const isMaster = step.kind === "startPhpFpm" || step.kind === "reloadPhpFpm";
    if (isMaster && previous?.kind !== "startPhpFpm" && previous?.kind !== "reloadPhpFpm") await runMasters(index);
    if (step.kind === "ensureAccountQuota" && previous?.kind !== step.kind) await runQuotas(index);
    const reason = blockReason(step);
    if (reason) {
      results.push(failed(`Skipped: ${reason}.`));
      continue;
    }
    if (batched.has(step)) {
      succeed(step);
      continue;
    }
    // A reload whose every cause failed or was skipped would change nothing: it is not a step
    // this converge takes (a site that keeps failing must not reload its neighbours each time).
    const reload = reloadOf(step);
    if (reload !== null && !changed.has(reload)) continue;
    try {
      if (step.kind === "reloadNginx" && options.deferNginxReload && (await nginx.nginxPid(node))) options.deferNginxReload.pending = true;
      else if (masterOutcomes.has(step) || quotaOutcomes.has(step)) {
        const error = masterOutcomes.get(step) ?? quotaOutcomes.get(step);
        if (error) throw error;
      } else await timer.step(step.kind, () => applyStep(node, step));
      succeed(step);
    } catch (e) {
      results.push(failed(e instanceof Error ? e.message : String(e)));
      if (step.kind === "ensureAccount") blocked.set(`account:${step.username}`, `account ${step.username} failed`);
      if (step.kind === "ensureAccountCgroup") blocked.set(`account:${step.username}`, `the limits of account ${step.username} could not be applied`);
      if (step.kind === "applyEgressRules") blocked.set("egress", "the node's egress rules could not be applied");
      if (step.kind === "ensureSiteStore") blocked.set(step.siteId, `the store of site ${step.siteId} failed`);
    }
  }
  timer.addPhase("steps", performance.now() - stepsStarted);
  if (succeeded.size === 0) return results;
  // Observed again, the node must not want what was just done: a step it still wants does not
  // converge, and saying so (instead of success) lets the control plane hold its object rather
  // than send the same spec, and reload, again and again.
  const recheck = recheckOf(observed, succeeded.keys());
  const again = withoutHeld(diffNode(await timer.phase("recheck", () => observeNode(node, documentRoots, recheck)), desired), held, spec);
  const notConverging = nonConvergentSteps([...succeeded.keys()], again, spec);
  for (const { step, result } of notConverging) results[succeeded.get(step)!] = result;
  // Written and read back, but the same write again and again: undone between converges.
  const now = Date.now();
  for (const [step, index] of succeeded) {
    // A node-wide config (nginx.conf) names no object to hold: the drift repair keeps it.
    if (notConverging.some((n) => n.step === step) || !concernsSpecObject(step, spec)) continue;
    if (rewrites.written(node.root, step, now)) results[index] = rewrittenResult(step, spec, rewrites);
  }
  return results;
}

/** Stops the node's masters (nginx, php-fpm, mariadbd, pdns_server); its files and data stay. */
export async function stopNode(node: NodeRoot): Promise<void> {
  const stops = await Promise.allSettled([nginx.stopNginx(node), phpFpm.stopAllPhpFpm(node), mariadb.stopMariadb(node), stopPdns(node)]);
  const failed = stops.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
}

/** A node root being deleted (tests, decommission): its egress rules and cgroups go with it. */
export async function removeNodeConfinement(node: NodeRoot): Promise<void> {
  await egress.removeEgressRules(node);
  await cgroup.removeNodeCgroup(node);
}
