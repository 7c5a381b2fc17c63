import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";

// What differs between the btrfs and the directory driver; site-storage.ts and the site-*.ts
// files it composes do the rest (names, locks, database dumps, the swap of a restore, file
// browsing) the same way for both.

export type ReceiveTarget = {
  /** The site's snapshot directory (exists); the received snapshot ends up at <dir>/<name>. */
  dir: string;
  name: string;
  /** The directory of one of this site's snapshots, by name, or null. */
  parentDir: (parentName: string) => Promise<string | null>;
  /** A fresh path in the staging directory, for work in progress. */
  staging: () => string;
  maxBytes: number;
};

export type VolumeDriver = {
  kind: "btrfs" | "dir";
  /** Makes the empty site directory `name` (the site's id) in the open `sites` directory. */
  createVolume(sites: FileHandle, name: string): Promise<void>;
  /** Deletes a site tree (a live volume already moved into staging, a writable copy). */
  deleteVolume(dir: string): Promise<void>;
  /** Takes the read-only snapshot `dest` of the open site directory; `previous` is the site's newest snapshot. */
  freeze(site: FileHandle, dest: string, previous: { dir: string; startedAtMs: number } | null, siteId: string): Promise<void>;
  /** A writable copy of a snapshot of site `siteId` at `dest` (in staging), to be swapped in by rename. */
  thaw(snapshot: string, dest: string, siteId: string): Promise<void>;
  deleteSnapshot(dir: string): Promise<void>;
  send(dir: string, name: string, parent: { dir: string; name: string } | null): Readable;
  /** Receives a stream into target.dir/target.name, verified, or throws and leaves nothing. */
  receive(stream: AsyncIterable<Buffer>, target: ReceiveTarget): Promise<{ bytes: number }>;
};
