import { z } from "zod";

// A node's answers about a site's snapshots (its snapshot API, /v1/sites/:id/...). The control
// worker reads them from the agent (worker/control/agent-client.ts); some it hands to the panel
// through the node-read queue (server/jobs/node-read.ts), where they are checked again. The panel
// never imports the agent client.

export const snapshotInfoSchema = z.object({ name: z.string(), takenAt: z.string(), sizeBytes: z.number().int().min(0), databases: z.array(z.string()) });
export type SnapshotInfoAnswer = z.infer<typeof snapshotInfoSchema>;

/** POST .../snapshots: 201 with the snapshot made, or 200 with the unchanged one it reused. */
export const createdSnapshotSchema = snapshotInfoSchema.extend({
  timingsMs: z.object({ dump: z.number(), snapshot: z.number() }),
  keptDumps: z.array(z.string()).default([]),
  reused: z.boolean().default(false),
  notReused: z.string().optional(),
});

/** GET .../snapshots */
export const snapshotListSchema = z.object({ storage: z.enum(["btrfs", "dir"]), snapshots: z.array(snapshotInfoSchema) });

/** DELETE .../snapshots/:name */
export const snapshotDeletedSchema = z.object({ ok: z.literal(true) });

/** PUT .../snapshots/:name/stream: the snapshot received. */
export const receivedSnapshotSchema = snapshotInfoSchema;

const restoreTimingsSchema = z.object({ keepCurrent: z.number(), files: z.number(), databases: z.number(), total: z.number() });

/** POST .../restore: the snapshot now live, and the state before kept as a snapshot. */
export const restoreAnswerSchema = z.object({ restored: snapshotInfoSchema, kept: snapshotInfoSchema });

/** POST .../promote; unchangedDatabases: not loaded, the standby this replaced already held that dump. */
export const promoteAnswerSchema = z.object({
  unchangedDatabases: z.array(z.string()).default([]),
  timingsMs: restoreTimingsSchema,
});

/** POST .../restore-file */
export const restoreFileAnswerSchema = z.object({ path: z.string(), sizeBytes: z.number().min(0) });

/** worker/agent/storage/rollback-preview.ts: what restoring a snapshot would change. */
export const rollbackPreviewSchema = z.object({
  snapshot: z.object({ name: z.string(), takenAt: z.string() }),
  files: z.object({
    added: z.number().int().min(0),
    removed: z.number().int().min(0),
    changed: z.number().int().min(0),
    unchanged: z.number().int().min(0),
    snapshotBytes: z.number().min(0),
    liveBytes: z.number().min(0),
    entries: z
      .array(
        z.object({
          path: z.string().max(4096),
          change: z.enum(["added", "removed", "changed"]),
          type: z.enum(["file", "dir", "symlink"]),
          snapshotBytes: z.number().nullable(),
          liveBytes: z.number().nullable(),
        }),
      )
      .max(1000),
    truncated: z.boolean(),
    complete: z.boolean(),
  }),
  databases: z
    .array(
      z.object({
        name: z.string(),
        status: z.enum(["same", "changed", "not-live", "not-in-snapshot", "too-large"]),
        snapshotBytes: z.number().nullable(),
        liveBytes: z.number().nullable(),
        tablesTotal: z.number().int().min(0),
        tables: z
          .array(z.object({ name: z.string(), change: z.enum(["added", "removed", "changed"]), snapshotRows: z.number().int().nullable(), liveRows: z.number().int().nullable() }))
          .max(1000),
        truncated: z.boolean(),
      }),
    )
    .max(64),
  timingsMs: z.object({ files: z.number(), databases: z.number() }),
});
export type RollbackPreview = z.infer<typeof rollbackPreviewSchema>;

/** GET .../snapshots/:name/files?path=P on a directory or symlink (a file answers with its bytes). */
export const snapshotEntrySchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("dir"),
    entries: z.array(z.object({ name: z.string(), type: z.enum(["dir", "file", "symlink", "other"]), sizeBytes: z.number().min(0), mode: z.number().int(), mtime: z.string() })),
  }),
  z.object({ type: z.literal("symlink"), target: z.string() }),
  z.object({ type: z.literal("file"), sizeBytes: z.number().min(0), mtime: z.string().nullable() }),
]);
export type SnapshotEntryInfo = z.infer<typeof snapshotEntrySchema>;
