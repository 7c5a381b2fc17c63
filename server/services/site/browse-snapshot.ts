import type { Scope } from "../../auth/scope";
import { db } from "../../db";
import { readFromLiveNode, snapshotOfSite } from "./snapshot-on-live-node";

/** Entries of one directory the browser is given (a WordPress uploads folder can hold thousands). */
export const browseListLimit = 500;

export type SnapshotListing =
  | { path: string; type: "dir"; total: number; truncated: boolean; entries: { name: string; type: "dir" | "file" | "symlink" | "other"; sizeBytes: number; mtime: string }[] }
  | { path: string; type: "file"; sizeBytes: number; mtime: string | null }
  | { path: string; type: "symlink"; target: string };

/**
 * One path of a site's snapshot, as the node that serves the site holds it (a control worker asks
 * it): a directory's entries (folders first, then by name), or a file's size and time. `path` was
 * checked against the grammar in server/domain/snapshot-path.ts by the procedure's input schema.
 */
export async function browseSnapshot(scope: Scope, input: { id: string; snapshotId: string; path: string }): Promise<SnapshotListing> {
  const { site, snapshot } = await snapshotOfSite(db, scope, input);
  const entry = await readFromLiveNode({ kind: "entry", siteId: site.id, snapshotId: snapshot.id, path: input.path }, "path");
  if (entry.type !== "dir") return { path: input.path, ...entry };
  const sorted = entry.entries
    // The agent answers with the customer's tree only (worker/agent/storage/volume-layout.ts):
    // the dumps and the platform's other files are not in it.
    .sort((a, b) => Number(b.type === "dir") - Number(a.type === "dir") || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    path: input.path,
    type: "dir",
    total: sorted.length,
    truncated: sorted.length > browseListLimit,
    entries: sorted.slice(0, browseListLimit).map(({ name, type, sizeBytes, mtime }) => ({ name, type, sizeBytes, mtime })),
  };
}
