import { isStepKind, stepKind, type StepKind } from "./operation-kinds";

// What a customer (and their reseller) reads when an operation or one of its steps has an error.
// The error itself (`lastError`: a command line, a node's name, an exit code) is for the
// platform's admins and its logs; customers get these sentences, which name no server, file,
// command or product, unless the worker wrote words for them (`customerError`). Pure, no imports
// beyond the kinds: the view of an operation picks one or the other by the reader's role.

/** Still being tried (the operation is open) or given up (it failed). */
export type ErrorState = "retrying" | "failed";

const subjects: Readonly<Record<string, string>> = { Site: "your site", Database: "your database", Domain: "your domain" };
const subject = (targetType: string) => subjects[targetType] ?? "this";

/** What each step does, in the customer's words ("We could not finish <this>"). */
const stepWork: Readonly<Record<StepKind, (target: string) => string>> = {
  [stepKind.placement]: (t) => `choosing a server for ${t}`,
  [stepKind.account]: () => "setting up your hosting account",
  [stepKind.siteStore]: () => "preparing your site's files",
  [stepKind.vhost]: () => "setting up your site",
  [stepKind.database]: () => "setting up your database",
  [stepKind.databaseUser]: () => "setting up your database login",
  [stepKind.appInstall]: () => "installing your app",
  [stepKind.route]: (t) => `publishing ${t}`,
  [stepKind.serveCheck]: () => "checking that your site answers",
  [stepKind.dnsZone]: () => "setting up your domain's DNS",
  [stepKind.keepCurrentState]: () => "keeping a copy of your site as it is now",
  [stepKind.restoreFilesAndDatabases]: () => "restoring your files and databases",
  [stepKind.restoreFile]: () => "restoring your file",
  [stepKind.preCopy]: (t) => `copying ${t}`,
  [stepKind.pause]: (t) => `moving ${t}`,
  [stepKind.drain]: (t) => `moving ${t}`,
  [stepKind.finalDelta]: (t) => `moving ${t}`,
  [stepKind.startTarget]: (t) => `moving ${t}`,
  [stepKind.release]: (t) => `bringing ${t} back online`,
  [stepKind.sourceBecomesReplica]: (t) => `keeping a standby copy of ${t}`,
  [stepKind.hold]: (t) => `bringing ${t} back online`,
  [stepKind.promote]: (t) => `bringing ${t} back online`,
  [stepKind.fence]: (t) => `bringing ${t} back online`,
  [stepKind.start]: (t) => `bringing ${t} back online`,
  [stepKind.place]: (t) => `adding a standby copy of ${t}`,
  [stepKind.converge]: (t) => `adding a standby copy of ${t}`,
  [stepKind.seed]: (t) => `adding a standby copy of ${t}`,
  [stepKind.unplace]: (t) => `removing a spare copy of ${t}`,
  [stepKind.clean]: (t) => `removing a spare copy of ${t}`,
  [stepKind.dnsCheck]: (t) => `checking that ${t} points at this cluster`,
  [stepKind.acmeOrder]: (t) => `ordering a certificate for ${t}`,
  [stepKind.challenge]: (t) => `publishing the certificate check for ${t}`,
  [stepKind.validate]: (t) => `having the certificate authority check ${t}`,
  [stepKind.finalize]: (t) => `getting the certificate for ${t}`,
  [stepKind.deploy]: (t) => `putting the certificate for ${t} on every server`,
};

/** What each operation does, in the same words; by its stored kind. */
const operationWork: Readonly<Record<string, (target: string) => string>> = {
  "site.create": (t) => `setting up ${t}`,
  "site.delete": (t) => `removing ${t}`,
  "site.rollback": (t) => `rolling back ${t}`,
  "site.restoreFile": () => "restoring your file",
  "site.move": (t) => `moving ${t}`,
  "site.failover": (t) => `bringing ${t} back online`,
  "site.rereplicate": (t) => `adding a standby copy of ${t}`,
  "site.release-replica": (t) => `removing a spare copy of ${t}`,
  "domain.create": (t) => `setting up ${t}`,
  "domain.delete": (t) => `removing ${t}`,
  "database.create": (t) => `setting up ${t}`,
  "database.delete": (t) => `removing ${t}`,
};

function sentence(work: string, state: ErrorState): string {
  return state === "retrying" ? `We could not finish ${work}; retrying.` : `We could not finish ${work}.`;
}

/** A step's error in the customer's words. A kind this version does not know reads generically. */
export function customerStepError(kind: string, targetType: string, state: ErrorState): string {
  if (kind === stepKind.serveCheck && state === "retrying") return "Your site does not answer as it should yet; checking again.";
  const work = isStepKind(kind) ? stepWork[kind](subject(targetType)) : `working on ${subject(targetType)}`;
  return sentence(work, state);
}

/** An operation's error in the customer's words. */
export function customerOperationError(kind: string, targetType: string, state: ErrorState): string {
  const work = Object.hasOwn(operationWork, kind) ? operationWork[kind]!(subject(targetType)) : `working on ${subject(targetType)}`;
  return sentence(work, state);
}

/** Steps whose target is the name of a node (where the work runs or went). */
const serverTargets: ReadonlySet<string> = new Set<StepKind>([
  stepKind.placement,
  stepKind.preCopy,
  stepKind.startTarget,
  stepKind.sourceBecomesReplica,
  stepKind.promote,
  stepKind.start,
  stepKind.fence,
  stepKind.place,
  stepKind.converge,
  stepKind.seed,
  stepKind.unplace,
  stepKind.clean,
]);

/** A step's target as a customer reads it: a node's name is the platform's business. */
export function customerStepTarget(kind: string, target: string): string {
  return serverTargets.has(kind) ? "a server" : target;
}
