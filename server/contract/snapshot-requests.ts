import { z } from "zod";
import { databaseNameSchema, snapshotNameSchema } from "./storage-names";

// What the control plane sends to a node's snapshot API (/v1/sites/:id/...): the bodies of its
// POSTs and the query of a rollback preview. The site id and snapshot name travel in the path.

/** POST /v1/sites/:id/snapshots: a snapshot of the site's files with its databases' dumps. */
export const createSnapshotRequestSchema = z.strictObject({
  name: snapshotNameSchema,
  databases: z.array(databaseNameSchema).max(64).default([]),
  /** Listed at once with its predecessor's size, its own summed after the answer (a move's final delta). */
  sizeLater: z.boolean().optional(),
  /** Answer that snapshot (reused: true) instead when the site is as it left it. */
  reuseIfUnchanged: snapshotNameSchema.optional(),
});
export type CreateSnapshotRequest = z.input<typeof createSnapshotRequestSchema>;

/** POST /v1/sites/:id/restore: a rollback; the state before is kept as `keepCurrentAs`. */
export const restoreRequestSchema = z.strictObject({
  name: snapshotNameSchema,
  keepCurrentAs: snapshotNameSchema,
  databases: z.array(databaseNameSchema).max(64).optional(),
});
export type RestoreRequest = z.input<typeof restoreRequestSchema>;

/** POST /v1/sites/:id/promote: the snapshot becomes the live volume (or the standby), its dumps the databases. */
export const promoteRequestSchema = z.strictObject({
  name: snapshotNameSchema,
  databases: z.array(databaseNameSchema).max(64).optional(),
  keepCurrentAs: snapshotNameSchema.optional(),
  standby: z.boolean().optional(),
});
export type PromoteRequest = z.input<typeof promoteRequestSchema>;

/** POST /v1/sites/:id/restore-file: one file of the snapshot back into the live site. */
export const restoreFileRequestSchema = z.strictObject({ name: snapshotNameSchema, path: z.string().max(4096) });
export type RestoreFileRequest = z.input<typeof restoreFileRequestSchema>;

/** GET /v1/sites/:id/snapshots/:name/diff?databases=a,b&limit=N */
export const rollbackPreviewQuerySchema = z.strictObject({
  databases: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(",") : []))
    .pipe(z.array(databaseNameSchema).max(64)),
  limit: z.coerce.number().int().min(0).max(1000).default(200),
});

/**
 * A snapshot stream (GET and PUT .../snapshots/:name/stream) names the storage driver that made
 * it in this header: a node only takes a stream of its own kind.
 */
export const streamStorageHeader = "x-shoal-storage";
