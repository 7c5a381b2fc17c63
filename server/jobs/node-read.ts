import type { JobsOptions } from "bullmq";
import { z } from "zod";
import { rollbackPreviewSchema, snapshotEntrySchema } from "../contract/snapshot-answers";
import { snapshotPathSchema } from "../domain/snapshot-path";

// The panel's read-only questions about a site's snapshot, answered by a control worker on the
// site's live node (worker/control/node-read.ts): the panel never talks to nodes
// (docs/architecture.md). The panel has checked tenancy and the snapshot in Postgres; the job
// carries ids (and the path asked about), the worker resolves the live node again, and the answer
// comes back as the job's return value, checked here on both sides.

export const NODE_READ_JOB = "node-read";

/** Entries of a preview's file and table lists the browser is given (the counts stay complete). */
export const previewListLimit = 200;

export const nodeReadPayload = z.discriminatedUnion("kind", [
  /** What rolling the site back to the snapshot would change (files and databases). */
  z.object({ kind: z.literal("preview"), siteId: z.string().min(1).max(50), snapshotId: z.string().min(1).max(50) }),
  /** One path of the snapshot: a directory's entries, a file's size and time, a link's target. */
  z.object({ kind: z.literal("entry"), siteId: z.string().min(1).max(50), snapshotId: z.string().min(1).max(50), path: snapshotPathSchema }),
]);
export type NodeReadPayload = z.infer<typeof nodeReadPayload>;

/** Why the node did not answer: carried as data, so the panel can put it next to the right field. */
export const nodeReadFailure = z.discriminatedUnion("kind", [
  /** The live node is away (timeout, refused): try again shortly. */
  z.object({ kind: z.literal("unreachable"), message: z.string() }),
  /** The node said no; `message` is its own words (404: no such path/snapshot, 422: bad path). */
  z.object({ kind: z.literal("rejected"), status: z.number().int(), message: z.string() }),
  /** Between the panel's check and the worker's, the site moved or the snapshot went. */
  z.object({ kind: z.literal("not-live"), message: z.string() }),
]);
export type NodeReadFailure = z.infer<typeof nodeReadFailure>;

const reply = <T extends z.ZodType>(value: T) => z.union([z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), failure: nodeReadFailure })]);
export const nodeReadReplies = { preview: reply(rollbackPreviewSchema), entry: reply(snapshotEntrySchema) } as const;
export type NodeReadReply<K extends NodeReadPayload["kind"]> = z.infer<(typeof nodeReadReplies)[K]>;

export const nodeReadOptions: JobsOptions = {
  // A question is asked once: the customer who waits for it sees the error and asks again.
  attempts: 1,
  // The answer travels in the completed event; kept a minute for a waiter that looks it up.
  removeOnComplete: { age: 60 },
  removeOnFail: { age: 3600 },
};

/** How long a preview may take once a worker has it: the agent's own limit for a diff, and a margin. */
export const nodeReadWorkMs = { preview: 65_000, entry: 35_000 } as const;
