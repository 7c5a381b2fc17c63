import { describe, expect, it } from "vitest";
import { recheckOf } from "../../../../worker/agent/converge";
import type { ObservedNode, Step } from "../../../../worker/agent/diff-node";

// The observation after a converge's steps reads again only what a succeeded step may have
// changed among the costly parts: the egress rules (an nft process) and MariaDB (queries).

const previous = {} as ObservedNode;
const step = (kind: Step["kind"]) => ({ kind }) as Step;

describe("recheckOf", () => {
  it("reuses the egress rules and MariaDB when no step touched them", () => {
    expect(recheckOf(previous, [step("installPool"), step("startPhpFpm"), step("ensureSiteStore")])).toEqual({ previous, egress: false, mariadb: false });
  });

  it("reads the egress rules again after they were applied, MariaDB after any database step", () => {
    expect(recheckOf(previous, [step("applyEgressRules")])).toMatchObject({ egress: true, mariadb: false });
    for (const kind of ["startMariadb", "ensureDatabase", "setDatabaseUserLock", "ensureDatabaseUser", "dropDatabaseUser", "dropDatabase"] as const) {
      expect(recheckOf(previous, [step(kind)])).toMatchObject({ egress: false, mariadb: true });
    }
  });
});
