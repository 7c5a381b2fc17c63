import type { Db } from "../../server/db";
import type { FailedStepResult, StepObject } from "../../server/contract/node-apply";
import type { BuiltNodeSpec } from "./build-node-spec";
import { failPermanently } from "./operation-progress";

// An object its node cannot converge (the agent's result says nonConvergent) is held on that node
// (a ConvergeHold row; build-node-spec.ts lists it in spec.held) rather than sent again and again:
// every reconcile would re-apply it and reload nginx or php-fpm for all the node's tenants. Its
// open operations fail with words a customer may read (their customerError); the agent's own
// words, which name files on the node, go to the admin (the node's and the operations' lastError,
// and the hold's reason).

export type Hold = { kind: StepObject["kind"]; id: string; generation: number; reason: string };

/**
 * What to hold for each non-converging result: its most specific object that this spec converges
 * (a site before its account). A result about the node as a whole holds nothing: it is retried.
 */
export function holdsFor(built: BuiltNodeSpec, failed: readonly FailedStepResult[]): Hold[] {
  const generation = new Map<string, number>();
  for (const o of built.objects.sites) generation.set(`site:${o.id}`, o.generation);
  for (const o of built.objects.databases) generation.set(`database:${o.id}`, o.generation);
  for (const o of built.objects.accounts) generation.set(`account:${o.id}`, o.generation);
  const holds = new Map<string, Hold>();
  for (const result of failed) {
    if (!result.nonConvergent) continue;
    const known = (result.objects ?? []).filter((o) => generation.has(`${o.kind}:${o.id}`));
    const target = (["site", "database", "account"] as const).map((kind) => known.find((o) => o.kind === kind)).find((o) => o !== undefined);
    if (!target || holds.has(target.id)) continue;
    holds.set(target.id, { kind: target.kind, id: target.id, generation: generation.get(`${target.kind}:${target.id}`)!, reason: result.error });
  }
  return [...holds.values()];
}

const nouns = { site: "site", database: "database", account: "hosting account" } as const;

/** The operation's reason: no node, file or command named, and what gets it going again. */
export function customerReason(kind: Hold["kind"], via?: "account"): string {
  const what = via ? `The ${nouns.account} this ${nouns[kind]} belongs to` : `This ${nouns[kind]}`;
  return `${what} could not be set up consistently on its server (its settings did not stay as written), so the platform stopped applying it to protect the other sites there. Retry it once the cause has been looked into.`;
}

/**
 * Records the holds and fails their objects' open operations (a held account's sites and
 * databases too). Returns the ids held, the account's included.
 */
export async function holdNonConvergent(db: Db, nodeId: string, built: BuiltNodeSpec, holds: readonly Hold[]): Promise<string[]> {
  const held: string[] = [];
  for (const hold of holds) {
    const data = { objectKind: hold.kind, generation: hold.generation, reason: hold.reason.slice(0, 2000) };
    await db.convergeHold.upsert({ where: { nodeId_objectId: { nodeId, objectId: hold.id } }, create: { nodeId, objectId: hold.id, ...data }, update: data });
    const detail = hold.reason.slice(0, 2000);
    await failPermanently(db, hold.id, detail, customerReason(hold.kind));
    held.push(hold.id);
    if (hold.kind !== "account") continue;
    for (const s of built.spec.sites.filter((x) => x.accountId === hold.id)) {
      await failPermanently(db, String(s.id), detail, customerReason("site", "account"));
      held.push(String(s.id));
    }
    for (const d of built.spec.databases.filter((x) => x.accountId === hold.id)) {
      await failPermanently(db, d.id, detail, customerReason("database", "account"));
      held.push(d.id);
    }
  }
  return held;
}
