import { db } from "../../server/db";
import type { Cluster } from "./harness";

// What the cluster tests ask of Postgres while a cluster runs: an operation's end, a site's live copy.

/**
 * Operation `operationId` with its steps once it has SUCCEEDED; throws when it FAILED, or after
 * `timeoutMs`. The timeout's error says where the operation stood (status, steps, last error) and
 * what the control workers said last, so a failure in CI can be read without a re-run.
 */
export function operationSucceeded(cluster: Cluster, operationId: string, timeoutMs = 120_000) {
  return operationEnded(cluster, operationId, "SUCCEEDED", timeoutMs);
}

/** The same for an operation expected to fail: throws when it SUCCEEDED instead. */
export function operationFailed(cluster: Cluster, operationId: string, timeoutMs = 120_000) {
  return operationEnded(cluster, operationId, "FAILED", timeoutMs);
}

async function operationEnded(cluster: Cluster, operationId: string, expected: "SUCCEEDED" | "FAILED", timeoutMs: number) {
  try {
    return await cluster.waitFor(
      `operation ${operationId}`,
      async () => {
        const op = await db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { steps: { orderBy: { index: "asc" } } } });
        if (op.status === "FAILED" && expected !== "FAILED") throw new Error(`operation failed: ${op.lastError}`);
        if (op.status === "SUCCEEDED" && expected !== "SUCCEEDED") throw new Error("operation succeeded, expected it to fail");
        return op.status === expected ? op : undefined;
      },
      { timeoutMs },
    );
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${await operationReport(cluster, operationId)}`, { cause: e });
  }
}

async function operationReport(cluster: Cluster, operationId: string): Promise<string> {
  const op = await db.operation.findUnique({ where: { id: operationId }, include: { steps: { orderBy: { index: "asc" } } } }).catch(() => null);
  const lines = op
    ? [
        `${op.kind} ${op.status}, last error: ${op.lastError ?? "none"}`,
        `steps: ${op.steps.map((s) => `${s.kind} ${s.status}${s.attempts > 1 ? ` (attempt ${s.attempts})` : ""}${s.lastError ? ` [${s.lastError.slice(0, 200)}]` : ""}${s.startedAt && s.finishedAt ? ` ${s.finishedAt.getTime() - s.startedAt.getTime()} ms` : ""}`).join(", ") || "none yet"}`,
      ]
    : ["(the operation could not be read)"];
  for (let j = 1; j <= 4; j++) {
    const log = (await cluster.logTail("worker", j, 25)).trim();
    if (log) lines.push(`control worker ${j}, last lines:\n${log}`);
  }
  return lines.join("\n");
}

/** The site's live placement, with its node. */
export const livePlacement = (siteId: string) => db.placement.findFirstOrThrow({ where: { siteId, role: "PRIMARY" }, include: { node: true } });
