import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { customerOperationError, customerStepError } from "../../../server/domain/operation-errors";
import { failPermanently, markApplying, recordWaiting } from "../../../worker/control/operation-progress";
import { callerFor, makeWorld } from "../../helpers/fixtures";

// A step fails on a node with the words the node gave (a command line naming the node, the
// platform and an exit code). The customer and their reseller read it in the customer's words;
// only a platform admin gets the detail, and the name of the node the work ran on. Through the
// tRPC caller of each role, as the panel reads it, with the worker's own functions writing it.

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const nodeName = "node-7";
const detail = `Node ${nodeName}: ensure account u1a2b3c: /usr/sbin/useradd --no-create-home --comment Shoal account cmx123 u1a2b3c failed (9): useradd: user 'u1a2b3c' already exists`;
/** What a customer or reseller must never read. */
const leaks = [/node-7/, /useradd/, /Shoal/i, /failed \(9\)/, /\/usr\/sbin/];

type ViewedOp = { lastError: string | null; errorDetail: string | null; steps: { kind: string; target: string; lastError: string | null; errorDetail: string | null }[] };

function expectNoLeak(op: ViewedOp) {
  const shown = JSON.stringify(op);
  for (const leak of leaks) expect(shown).not.toMatch(leak);
}

describe("a failing step's error, by reader", () => {
  it("is the customer's words for the customer and the reseller, and the full detail for an admin", async () => {
    const asCustomer = callerFor(world.users.customerA);
    const d = await asCustomer.domain.create({ name: "words.test" });
    const s = await asCustomer.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });

    // The reconcile starts on node-7 and the node's account step fails: retried.
    await markApplying(db, [s.id], nodeName);
    await recordWaiting(db, [s.id], detail);

    const retrying = customerStepError("account", "Site", "retrying");
    expect(retrying).toBe("We could not finish setting up your hosting account; retrying.");
    for (const caller of [asCustomer, callerFor(world.users.resellerA)]) {
      const op = await caller.operation.get({ id: s.operationId });
      expectNoLeak(op);
      expect(op.lastError).toBe(customerOperationError("site.create", "Site", "retrying"));
      expect(op.lastError).toBe("We could not finish setting up your site; retrying.");
      expect(op.errorDetail).toBeNull();
      expect(op.steps.find((x) => x.kind === "account")).toMatchObject({ lastError: retrying, errorDetail: null });
      expect(op.steps.find((x) => x.kind === "placement")!.target).toBe("a server");
    }
    // The customer's other views of the same operation say the same.
    const listed = await asCustomer.operation.list({ target: { type: "Site", id: s.id } });
    expectNoLeak(listed.items[0]!);
    const site = await asCustomer.site.get({ id: s.id });
    expectNoLeak(site.latestOperation!);
    expect(site.latestOperation!.lastError).toBe("We could not finish setting up your site; retrying.");
    expectNoLeak((await asCustomer.dashboard.get({})).recentOperations.find((o) => o.id === s.operationId)!);

    const asAdmin = callerFor(world.users.admin);
    const seen = await asAdmin.operation.get({ id: s.operationId });
    expect(seen.lastError).toBe("We could not finish setting up your site; retrying.");
    expect(seen.errorDetail).toBe(detail);
    expect(seen.steps.find((x) => x.kind === "account")).toMatchObject({ lastError: retrying, errorDetail: detail });
    expect(seen.steps.find((x) => x.kind === "placement")!.target).toBe(nodeName);

    // Given up: the customer is told it did not finish; the admin still has the detail.
    await failPermanently(db, s.id, detail);
    const failed = await asCustomer.operation.get({ id: s.operationId });
    expectNoLeak(failed);
    expect(failed.lastError).toBe("We could not finish setting up your site.");
    expect(failed.steps.find((x) => x.kind === "account")!.lastError).toBe("We could not finish setting up your hosting account.");
    expect((await asAdmin.operation.get({ id: s.operationId })).errorDetail).toBe(detail);

    // A retry clears both.
    await asCustomer.operation.retry({ id: s.operationId });
    const again = await asAdmin.operation.get({ id: s.operationId });
    expect(again).toMatchObject({ lastError: null, errorDetail: null });
    expect(again.steps.every((x) => x.lastError === null && x.errorDetail === null)).toBe(true);
  });

  it("keeps the words a worker wrote for the customer, and the detail beside them for the admin", async () => {
    const asCustomer = callerFor(world.users.customerA);
    const d = await asCustomer.domain.create({ name: "held.test" });
    const s = await asCustomer.site.create({ domainId: d.id, app: "NONE", phpVersion: "8.2", documentRoot: "public" });
    await markApplying(db, [s.id], nodeName);
    const words = "This site could not be set up consistently on its server; retry it once the cause has been looked into.";
    await failPermanently(db, s.id, detail, words);

    for (const caller of [asCustomer, callerFor(world.users.resellerA)]) {
      const op = await caller.operation.get({ id: s.operationId });
      expectNoLeak(op);
      expect(op).toMatchObject({ lastError: words, errorDetail: null });
    }
    expect(await callerFor(world.users.admin).operation.get({ id: s.operationId })).toMatchObject({ lastError: words, errorDetail: detail });
  });
});
