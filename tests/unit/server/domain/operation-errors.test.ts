import { describe, expect, it } from "vitest";
import { customerOperationError, customerStepError, customerStepTarget } from "@/server/domain/operation-errors";
import { operationKinds, stepKind, stepKinds } from "@/server/domain/operation-kinds";

// Every kind has words for the customer, and none of them names a node, a command or the product.
const forbidden = /node|shoal|useradd|nginx|php-fpm|mariadb|\(\d+\)/i;

describe("errors in the customer's words", () => {
  it("has a sentence for every step kind and operation kind, retrying and failed, that names nothing of the platform", () => {
    for (const state of ["retrying", "failed"] as const) {
      for (const kind of stepKinds) {
        for (const targetType of ["Site", "Database", "Domain"]) {
          const text = customerStepError(kind, targetType, state);
          expect(text).toMatch(/^(We could not finish .+|Your site does not answer as it should yet; checking again)\.$/);
          expect(text, `${kind} ${state}`).not.toMatch(forbidden);
        }
      }
      for (const kind of operationKinds) {
        const text = customerOperationError(kind, kind.startsWith("database") ? "Database" : kind.startsWith("domain") ? "Domain" : "Site", state);
        expect(text, `${kind} ${state}`).not.toMatch(forbidden);
      }
    }
  });

  it("says what is being done and whether it is retried", () => {
    expect(customerOperationError("site.create", "Site", "retrying")).toBe("We could not finish setting up your site; retrying.");
    expect(customerOperationError("database.delete", "Database", "failed")).toBe("We could not finish removing your database.");
    expect(customerStepError(stepKind.appInstall, "Site", "retrying")).toBe("We could not finish installing your app; retrying.");
    // A kind this version does not know (an older row) still reads as words.
    expect(customerStepError("frobnicate", "Site", "failed")).toBe("We could not finish working on your site.");
    expect(customerOperationError("site.frobnicate", "Site", "failed")).toBe("We could not finish working on your site.");
  });

  it("hides the node a step ran on, and nothing else", () => {
    expect(customerStepTarget(stepKind.placement, "node-2")).toBe("a server");
    expect(customerStepTarget(stepKind.promote, "node-3")).toBe("a server");
    expect(customerStepTarget(stepKind.siteStore, "myblog.test")).toBe("myblog.test");
  });
});
