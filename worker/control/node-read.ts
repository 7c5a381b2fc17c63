import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { AgentRejectedError, AgentUnreachableError, agentClient } from "./agent-client";
import type { Db } from "../../server/db";
import { NODE_READ_JOB, nodeReadPayload, previewListLimit, type NodeReadFailure, type NodeReadPayload, type NodeReadReply } from "../../server/jobs/node-read";
import { QUEUES } from "../../server/jobs/queues";

// The control worker's side of the panel's questions to a node (server/jobs/node-read.ts): the
// panel has checked tenancy; here the site's live node is resolved from Postgres again (the site
// may have moved since), asked, and its answer returned as the job's value. A node that is away or
// says no is an answer too (data, not a failed job), so the panel can show it next to the field.

export type NodeReadContext = { db: Db; clusterSecret: string };

const notLive: NodeReadFailure = { kind: "not-live", message: "That snapshot is not on the node serving the site; choose a newer one." };

export async function answerNodeRead(ctx: NodeReadContext, payload: NodeReadPayload): Promise<NodeReadReply<NodeReadPayload["kind"]>> {
  const { db } = ctx;
  const [site, snapshot] = await Promise.all([
    db.site.findFirst({
      where: { id: payload.siteId, deletedAt: null },
      select: {
        placements: { where: { role: "PRIMARY" }, select: { node: { select: { id: true, name: true, address: true, agentPort: true } } } },
        databases: { where: { deletedAt: null }, orderBy: { name: "asc" }, select: { name: true } },
      },
    }),
    db.snapshot.findFirst({ where: { id: payload.snapshotId, siteId: payload.siteId }, select: { name: true, nodeId: true } }),
  ]);
  const live = site?.placements[0]?.node;
  if (!site || !snapshot || !live || snapshot.nodeId !== live.id) return { ok: false, failure: notLive };
  const agent = agentClient(live, { clusterSecret: ctx.clusterSecret, timeoutMs: 30_000 });
  try {
    if (payload.kind === "preview") {
      const value = await agent.previewRollback(payload.siteId, snapshot.name, site.databases.map((d) => d.name), previewListLimit);
      return { ok: true, value };
    }
    const value = await agent.snapshotEntry(payload.siteId, snapshot.name, payload.path);
    return { ok: true, value };
  } catch (e) {
    const failure = agentFailure(e);
    if (!failure) throw e;
    return { ok: false, failure };
  }
}

/** A node that is away or refused, as data; anything else stays an error (the job fails with it). */
export function agentFailure(e: unknown): NodeReadFailure | null {
  if (e instanceof AgentUnreachableError) return { kind: "unreachable", message: e.message };
  if (e instanceof AgentRejectedError) return { kind: "rejected", status: e.status, message: e.message.replace(/^Node \S+ refused the request \(\d+\): /, "") };
  return null;
}

/** The node-read consumer; worker/control/main.ts runs one, integration tests run their own. */
export function startNodeReadWorker(ctx: NodeReadContext, opts: { connection: Redis; prefix: string; concurrency?: number }): Worker {
  return new Worker(
    QUEUES.nodeRead,
    async (job: Job) => {
      if (job.name !== NODE_READ_JOB) throw new Error(`Unknown node-read job ${job.name}.`);
      // Checked again here: the job came through Redis.
      return answerNodeRead(ctx, nodeReadPayload.parse(job.data));
    },
    // Reads are short and independent; a slow preview must not hold up a listing.
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 8 },
  );
}
