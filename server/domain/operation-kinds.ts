// Every kind of Operation and of OperationStep, defined once. The services that start operations,
// the control worker that marks their steps and the panel that shows them all name kinds from here,
// so a misspelt kind fails the type check instead of leaving a step PENDING for ever. The strings
// are what Postgres stores (Operation.kind, OperationStep.kind): changing one orphans the rows that
// already carry it. Pure, no imports: a client component may read the labels.

/** Operation kinds, by a name code can use. */
export const operationKind = {
  siteCreate: "site.create",
  siteDelete: "site.delete",
  siteRollback: "site.rollback",
  siteRestoreFile: "site.restoreFile",
  siteMove: "site.move",
  siteFailover: "site.failover",
  siteRereplicate: "site.rereplicate",
  siteReleaseReplica: "site.release-replica",
  domainCreate: "domain.create",
  domainDelete: "domain.delete",
  databaseCreate: "database.create",
  databaseDelete: "database.delete",
  certificateIssue: "certificate.issue",
} as const;
export type OperationKind = (typeof operationKind)[keyof typeof operationKind];
export const operationKinds: readonly OperationKind[] = Object.values(operationKind);

/** What the panel calls each operation. */
export const operationKindLabels: Readonly<Record<OperationKind, string>> = {
  "site.create": "Creating site",
  "site.delete": "Removing site",
  "site.rollback": "Rolling back",
  "site.restoreFile": "Restoring a file",
  "site.move": "Moving the site to another server",
  "site.failover": "Bringing the site back on another server",
  "site.rereplicate": "Adding a standby copy",
  "site.release-replica": "Removing a spare copy",
  "domain.create": "Adding domain",
  "domain.delete": "Removing domain",
  "database.create": "Creating database",
  "database.delete": "Removing database",
  "certificate.issue": "Getting an HTTPS certificate",
};

/** Step kinds, by a name code can use. A kind shared by several operations ("route") is one entry. */
export const stepKind = {
  // Reconciled objects (site, domain, database create/delete), settled by worker/control/operation-progress.ts.
  placement: "placement",
  account: "account",
  siteStore: "site store",
  vhost: "vhost + php-fpm pool",
  database: "database",
  databaseUser: "database user",
  appInstall: "app install",
  route: "route",
  serveCheck: "serve check",
  dnsZone: "DNS zone",
  // A rollback (worker/control/run-rollback.ts).
  keepCurrentState: "keep current state",
  restoreFilesAndDatabases: "restore files and databases",
  // A one-file restore (worker/control/run-restore-file.ts).
  restoreFile: "restore file",
  // A planned move (worker/control/move-site.ts); "route" above is one of its steps too.
  preCopy: "pre-copy",
  pause: "pause",
  drain: "drain",
  finalDelta: "final-delta",
  startTarget: "start-target",
  release: "release",
  sourceBecomesReplica: "source becomes replica",
  // A failover (worker/control/failover.ts); "release" above is one of its steps too.
  hold: "hold",
  promote: "promote",
  fence: "fence",
  start: "start",
  // Re-replication (worker/control/re-replicate.ts).
  place: "place",
  converge: "converge",
  seed: "seed",
  unplace: "unplace",
  clean: "clean",
  // A certificate order (worker/control/acme/issue-certificate.ts).
  dnsCheck: "DNS points here",
  acmeOrder: "order",
  challenge: "HTTP-01 challenge on every edge",
  validate: "CA validates",
  finalize: "certificate issued",
  deploy: "live on every edge",
} as const;
export type StepKind = (typeof stepKind)[keyof typeof stepKind];
export const stepKinds: readonly StepKind[] = Object.values(stepKind);

/**
 * What the panel shows for each step, in the customer's words: the stored kinds name the platform's
 * internals ("vhost + php-fpm pool"), which a customer cannot act on. Admins see the stored kind
 * beside these words where they look at the machinery (the cluster map).
 */
export const stepKindLabels: Readonly<Record<StepKind, string>> = {
  placement: "Choosing servers",
  account: "Preparing your account",
  "site store": "Preparing your site",
  "vhost + php-fpm pool": "Publishing on every server",
  database: "Creating the database",
  "database user": "Setting up database access",
  "app install": "Installing the app",
  route: "Directing visitors",
  "serve check": "Checking it answers",
  "DNS zone": "Publishing DNS records",
  "keep current state": "Keeping a copy of the current site",
  "restore files and databases": "Restoring files and databases",
  "restore file": "Restoring the file",
  "pre-copy": "Copying your files",
  pause: "Holding new requests",
  drain: "Finishing running requests",
  "final-delta": "Copying the last changes",
  "start-target": "Starting on the new server",
  release: "Releasing held requests",
  "source becomes replica": "Keeping the old server as a standby",
  hold: "Holding new requests",
  promote: "Bringing up the standby copy",
  fence: "Shutting out the unreachable server",
  start: "Starting the site",
  place: "Choosing a server for the copy",
  converge: "Preparing the copy",
  seed: "Copying your files",
  unplace: "Removing the copy",
  clean: "Cleaning up",
  "DNS points here": "Checking the domain points here",
  order: "Asking for a certificate",
  "HTTP-01 challenge on every edge": "Proving the domain is yours",
  "CA validates": "Waiting for the certificate authority",
  "certificate issued": "Receiving the certificate",
  "live on every edge": "Serving HTTPS everywhere",
};

export function isOperationKind(kind: string): kind is OperationKind {
  return Object.hasOwn(operationKindLabels, kind);
}

export function isStepKind(kind: string): kind is StepKind {
  return Object.hasOwn(stepKindLabels, kind);
}

/** The panel's name for a stored operation kind; an unknown one (an older row) shows as stored. */
export function operationKindLabel(kind: string): string {
  return isOperationKind(kind) ? operationKindLabels[kind] : kind;
}

/** The panel's name for a stored step kind; an unknown one shows as stored. */
export function stepKindLabel(kind: string): string {
  return isStepKind(kind) ? stepKindLabels[kind] : kind;
}

// Subsets, in the order their operation runs them.

/** The steps a node's reconcile applies; settled together once the node observed the generation. */
export const nodeStepKinds = [stepKind.account, stepKind.siteStore, stepKind.vhost, stepKind.database, stepKind.databaseUser, stepKind.appInstall] as const satisfies readonly StepKind[];

/** A rollback's steps. */
export const rollbackStepKinds = [stepKind.keepCurrentState, stepKind.restoreFilesAndDatabases, stepKind.serveCheck] as const satisfies readonly StepKind[];
export type RollbackStepKind = (typeof rollbackStepKinds)[number];

/**
 * The steps of a planned move, in order: the panel shows them, worker/control/move-site.ts runs
 * them, and the cluster map marks a site paused while one of pause..release runs.
 */
export const moveStepKinds = [
  stepKind.preCopy,
  stepKind.pause,
  stepKind.drain,
  stepKind.finalDelta,
  stepKind.startTarget,
  stepKind.route,
  stepKind.release,
  stepKind.sourceBecomesReplica,
] as const satisfies readonly StepKind[];
export type MoveStepKind = (typeof moveStepKinds)[number];

/** A move's steps during which the site's requests are held at the edges (the cluster map's "paused"). */
export const pausedStepKinds = [stepKind.pause, stepKind.drain, stepKind.finalDelta, stepKind.startTarget, stepKind.route, stepKind.release] as const satisfies readonly MoveStepKind[];

/** A failover's steps, in order. */
export const failoverStepKinds = [stepKind.hold, stepKind.promote, stepKind.fence, stepKind.start, stepKind.release] as const satisfies readonly StepKind[];
export type FailoverStepKind = (typeof failoverStepKinds)[number];

/** A new replica's steps. */
export const reReplicateStepKinds = [stepKind.place, stepKind.converge, stepKind.seed] as const satisfies readonly StepKind[];
export type ReReplicateStepKind = (typeof reReplicateStepKinds)[number];
/** A released replica's steps. Not "release": the cluster map reads a RUNNING "release" step as a paused site. */
export const releaseReplicaStepKinds = [stepKind.unplace, stepKind.clean] as const satisfies readonly StepKind[];

/** Operation kinds that change a site's live node: the last one finished is the site's last move. */
export const siteRelocationKinds = [operationKind.siteMove, operationKind.siteFailover] as const satisfies readonly OperationKind[];

/** A certificate order's steps, in order. */
export const certificateStepKinds = [stepKind.dnsCheck, stepKind.acmeOrder, stepKind.challenge, stepKind.validate, stepKind.finalize, stepKind.deploy] as const satisfies readonly StepKind[];
