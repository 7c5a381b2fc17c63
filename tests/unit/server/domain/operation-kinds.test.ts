import { describe, expect, it } from "vitest";
import {
  failoverStepKinds,
  isOperationKind,
  isStepKind,
  moveStepKinds,
  nodeStepKinds,
  operationKindLabel,
  operationKindLabels,
  operationKinds,
  pausedStepKinds,
  releaseReplicaStepKinds,
  reReplicateStepKinds,
  rollbackStepKinds,
  siteRelocationKinds,
  stepKindLabel,
  stepKindLabels,
  stepKinds,
} from "../../../../server/domain/operation-kinds";
import { ownJobOperationKinds, retryRefusal } from "../../../../server/domain/operation-retry";
import { appCatalog } from "../../../../server/domain/app-catalog";

describe("operation kinds", () => {
  it("has a label for every kind and no label for a kind that does not exist", () => {
    expect(new Set(operationKinds).size).toBe(operationKinds.length);
    for (const kind of operationKinds) expect(operationKindLabels[kind]?.trim()).toBeTruthy();
    expect(Object.keys(operationKindLabels).sort()).toEqual([...operationKinds].sort());
  });

  it("keeps the strings Postgres stores", () => {
    expect([...operationKinds].sort()).toEqual(
      [
        "certificate.issue",
        "database.create",
        "database.delete",
        "domain.create",
        "domain.delete",
        "site.create",
        "site.delete",
        "site.failover",
        "site.move",
        "site.release-replica",
        "site.rereplicate",
        "site.restoreFile",
        "site.rollback",
      ].sort(),
    );
  });

  it("labels a stored kind it knows, and shows one it does not as stored", () => {
    expect(operationKindLabel("site.create")).toBe("Creating site");
    expect(operationKindLabel("site.move")).toBe("Moving the site to another server");
    expect(operationKindLabel("site.someday")).toBe("site.someday");
    expect(isOperationKind("toString")).toBe(false);
  });

  it("keys the retry refusals by operation kinds", () => {
    for (const kind of ownJobOperationKinds) {
      expect(operationKinds).toContain(kind);
      expect(retryRefusal(kind)).toBeTruthy();
    }
    expect(retryRefusal("site.create")).toBeNull();
    expect(retryRefusal("not.a.kind")).toBeNull();
  });
});

describe("step kinds", () => {
  it("has a label for every kind, in the customer's words, naming none of the platform's parts", () => {
    expect(new Set(stepKinds).size).toBe(stepKinds.length);
    expect(Object.keys(stepKindLabels).sort()).toEqual([...stepKinds].sort());
    for (const kind of stepKinds) {
      const label = stepKindLabels[kind];
      expect(label, kind).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(label, kind).not.toMatch(/vhost|php|fpm|nginx|pool|node|epoch|fence|replica|delta|shoal/i);
    }
    expect(stepKindLabel("vhost + php-fpm pool")).toBe("Publishing on every server");
    expect(stepKindLabel("an old step")).toBe("an old step");
    expect(isStepKind("constructor")).toBe(false);
  });

  it("makes every named list a subset of the step kinds, without repeats", () => {
    const lists = { nodeStepKinds, rollbackStepKinds, moveStepKinds, pausedStepKinds, failoverStepKinds, reReplicateStepKinds, releaseReplicaStepKinds };
    for (const [name, list] of Object.entries(lists)) {
      expect(new Set(list).size, name).toBe(list.length);
      for (const kind of list) expect(stepKinds, `${name}: ${kind}`).toContain(kind);
    }
    for (const app of Object.values(appCatalog)) for (const kind of app.operationSteps) expect(stepKinds).toContain(kind);
  });

  it("pauses a site only during a move's held window, never during a released replica's steps", () => {
    for (const kind of pausedStepKinds) expect(moveStepKinds).toContain(kind);
    expect(pausedStepKinds).not.toContain("pre-copy");
    expect(pausedStepKinds).not.toContain("source becomes replica");
    for (const kind of releaseReplicaStepKinds) expect(pausedStepKinds).not.toContain(kind);
  });

  it("names only operation kinds as relocations", () => {
    for (const kind of siteRelocationKinds) expect(operationKinds).toContain(kind);
  });
});
