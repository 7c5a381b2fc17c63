import { db } from "../../../server/db";
import type { MatrixCase, Tenant, World } from "../authz/matrix";
import { freshDomain, freshSite, tenantAccountId, tenantCustomer } from "../domain/authz-fixtures";

/** A WordPress site whose install succeeded and whose admin login was never shown. */
export async function freshInstalledSite(w: World, t: Tenant) {
  const c = tenantCustomer(w, t);
  const domain = await freshDomain(w, t);
  const site = await db.site.create({ data: { accountId: c.account.id, domainId: domain.id, app: "WORDPRESS" }, select: { id: true } });
  await db.operation.create({
    data: {
      kind: "site.create",
      targetType: "Site",
      targetId: site.id,
      status: "SUCCEEDED",
      resellerId: c.customer.resellerId,
      customerId: c.customer.id,
      steps: { create: [{ index: 0, kind: "app install", target: "WordPress", status: "SUCCEEDED" }] },
    },
  });
  return site;
}

/** A live site on a node with one snapshot there: what a rollback needs. */
export async function freshSnapshottedSite(w: World, t: Tenant) {
  const site = await freshSite(w, t);
  const tag = Math.random().toString(36).slice(2, 10);
  const node = await db.node.create({ data: { name: `authz-${tag}`, address: "127.0.99.1", agentPort: 20000 + Math.floor(Math.random() * 20000) }, select: { id: true } });
  await db.placement.create({ data: { siteId: site.id, nodeId: node.id, role: "PRIMARY" } });
  const snapshot = await db.snapshot.create({ data: { siteId: site.id, nodeId: node.id, name: "s-20261201T200000Z" }, select: { id: true } });
  return { site, snapshot };
}

// Authorisation-matrix entries for the site router (spread into tests/integration/authz/cases.ts).
// At most three callers own a tenant's account, within the fixture plan's five sites.
export const siteCases: Record<string, MatrixCase> = {
  "site.list": { input: async (w, t) => ({ accountId: tenantAccountId(w, t) }) },
  "site.get": { input: async (w, t) => ({ id: (await freshSite(w, t)).id }) },
  "site.create": {
    input: async (w, t) => ({ accountId: tenantAccountId(w, t), domainId: (await freshDomain(w, t)).id, app: "NONE" }),
  },
  "site.delete": { input: async (w, t) => ({ id: (await freshSite(w, t)).id }) },
  // Customers only: the reveal is used up once, so only the site's owner may spend it.
  "site.revealAppAdmin": { input: async (w, t) => ({ id: (await freshInstalledSite(w, t)).id }) },
  "site.listSnapshots": { input: async (w, t) => ({ id: (await freshSite(w, t)).id }) },
  // Admins only (node.write): a tenant's call is FORBIDDEN before it reaches a row.
  "site.move": {
    input: async (w, t) => {
      const { site } = await freshSnapshottedSite(w, t);
      await db.site.update({ where: { id: site.id }, data: { routed: true } });
      const tag = Math.random().toString(36).slice(2, 10);
      const to = await db.node.create({ data: { name: `authz-to-${tag}`, address: "127.0.99.2", agentPort: 20000 + Math.floor(Math.random() * 20000), status: "HEALTHY" }, select: { id: true } });
      return { id: site.id, toNodeId: to.id };
    },
  },
  // Admins only (node.write), like site.move.
  "site.pin": {
    input: async (w, t) => {
      const site = await freshSite(w, t);
      const tag = Math.random().toString(36).slice(2, 10);
      const to = await db.node.create({ data: { name: `authz-pin-${tag}`, address: "127.0.99.3", agentPort: 20000 + Math.floor(Math.random() * 20000), status: "HEALTHY" }, select: { id: true } });
      return { id: site.id, nodeId: to.id };
    },
  },
  "site.rollback": {
    input: async (w, t) => {
      const { site, snapshot } = await freshSnapshottedSite(w, t);
      return { id: site.id, snapshotId: snapshot.id };
    },
  },
  // The snapshot read-outs ask the node that serves the site through a control worker (the matrix
  // runs the node-read consumer); the fixture's node is not running, so an allowed caller gets past
  // the tenancy check to "the node is not answering".
  "site.previewRollback": {
    input: async (w, t) => {
      const { site, snapshot } = await freshSnapshottedSite(w, t);
      return { id: site.id, snapshotId: snapshot.id };
    },
    ownOutcome: "PRECONDITION_FAILED",
  },
  "site.browseSnapshot": {
    input: async (w, t) => {
      const { site, snapshot } = await freshSnapshottedSite(w, t);
      return { id: site.id, snapshotId: snapshot.id, path: "public" };
    },
    ownOutcome: "PRECONDITION_FAILED",
  },
  "site.restoreSnapshotFile": {
    input: async (w, t) => {
      const { site, snapshot } = await freshSnapshottedSite(w, t);
      return { id: site.id, snapshotId: snapshot.id, path: "public/index.php" };
    },
    ownOutcome: "PRECONDITION_FAILED",
  },
};
