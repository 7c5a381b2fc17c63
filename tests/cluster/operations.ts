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
        const op = await operationWithSteps(operationId);
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

const withSteps = { steps: { orderBy: { index: "asc" as const } } };
type OperationWithSteps = Awaited<ReturnType<typeof operationWithSteps>>;
const operationWithSteps = (operationId: string) => db.operation.findUniqueOrThrow({ where: { id: operationId }, include: withSteps });

/** A step's duration, or where it stood when it has none (a step after a failed one never runs). */
export const stepTime = (s: OperationWithSteps["steps"][number]) => (s.startedAt && s.finishedAt ? `${s.finishedAt.getTime() - s.startedAt.getTime()} ms` : s.status.toLowerCase());

/** "site.failover FAILED, last error: …; steps: hold SUCCEEDED 200 ms, promote FAILED [why] 150 ms, fence PENDING, …" */
export function describeOperation(op: OperationWithSteps): string {
  const steps = op.steps.map((s) => `${s.kind} ${s.status}${s.attempts > 1 ? ` (attempt ${s.attempts})` : ""}${s.lastError ? ` [${s.lastError.slice(0, 200)}]` : ""}${s.startedAt && s.finishedAt ? ` ${stepTime(s)}` : ""}`);
  return `${op.kind} ${op.status}, last error: ${op.lastError ?? "none"}; steps: ${steps.join(", ") || "none yet"}`;
}

/** The control workers' last `lines` log lines, each under a heading (empty when none said anything). */
async function workerLogs(cluster: Cluster, lines = 25, only?: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (let j = 1; j <= 4; j++) {
    let log = (await cluster.logTail("worker", j, only ? 100_000 : lines)).trim();
    if (only) log = log.split("\n").filter((l) => only.test(l)).slice(-lines).join("\n");
    if (log) out.push(`control worker ${j}, last lines${only ? ` matching ${only}` : ""}:\n${log}`);
  }
  return out;
}

async function operationReport(cluster: Cluster, operationId: string): Promise<string> {
  const op = await operationWithSteps(operationId).catch(() => null);
  return [op ? describeOperation(op) : "(the operation could not be read)", ...(await workerLogs(cluster))].join("\n");
}

/**
 * The failover that made site `siteId` live again after a node died, once it has SUCCEEDED,
 * with every failover of the site (oldest first). A failover that fails (a promote refused, say)
 * is tried again by the next heartbeat tick as a new operation: `all` holds the earlier tries,
 * and `report` says what each did, with the control workers' failover log lines when there was
 * more than one, so a slow recovery in CI says why.
 */
export async function failoverSucceeded(cluster: Cluster, siteId: string, timeoutMs = 30_000) {
  const failovers = () => db.operation.findMany({ where: { targetId: siteId, kind: "site.failover" }, orderBy: { createdAt: "asc" }, include: withSteps });
  const report = async (all: OperationWithSteps[]) =>
    [`${all.length} failover(s) of the site:`, ...all.map((o) => `  ${o.createdAt.toISOString()} ${describeOperation(o)}`), ...(await workerLogs(cluster, 40, /failover|→ DEAD|→ SUSPECT/))].join("\n");
  try {
    const newest = await cluster.waitFor(`a failover of site ${siteId}`, async () => (await failovers()).at(-1), { timeoutMs });
    const op = await operationSucceeded(cluster, newest.id, timeoutMs);
    const all = await failovers();
    return { op, all, report: all.length === 1 ? "" : await report(all) };
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${await report(await failovers())}`, { cause: e });
  }
}

/** The site's live placement, with its node. */
export const livePlacement = (siteId: string) => db.placement.findFirstOrThrow({ where: { siteId, role: "PRIMARY" }, include: { node: true } });
