import { createHash, type Hash } from "node:crypto";

// The pure half of a rollback preview (rollback-preview.ts does the walking and dumping): what
// differs between a snapshot and the live site, file by file and table by table. Bounded: the
// lists keep the first `limit` entries by path, the counts are always complete.

export type FileFacts = { type: "file" | "dir" | "symlink"; sizeBytes: number; mtimeMs: number; mode: number; target?: string };

/**
 * "added": in the live site, not in the snapshot (a rollback deletes it); "removed": in the
 * snapshot, gone from the live site (a rollback brings it back); "changed": in both, different.
 */
export type FileChangeKind = "added" | "removed" | "changed";
export type FileChange = { path: string; change: FileChangeKind; type: FileFacts["type"]; snapshotBytes: number | null; liveBytes: number | null };

export type FilesDiff = {
  added: number;
  removed: number;
  changed: number;
  /** Files (and symlinks) that are the same on both sides. */
  unchanged: number;
  /** Bytes of the files on each side (directories count 0). */
  snapshotBytes: number;
  liveBytes: number;
  /** The first `limit` differences, by path. */
  entries: FileChange[];
  truncated: boolean;
};

/**
 * Same or not by metadata only (type, size, mtime, mode, link target), as rsync decides: a
 * snapshot keeps every file's mtime, so a file nobody touched compares equal without reading it.
 * Directories only count as a difference when one side lacks them (an empty directory added or
 * removed); their times change with every file inside.
 */
export function sameFile(a: FileFacts, b: FileFacts): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "dir") return true;
  if (a.type === "symlink") return a.target === b.target;
  // Within a millisecond: a file put back with utimes() from a Date carries the time to the
  // millisecond only, and through a double (…643.1956 comes back as …642.999).
  return a.sizeBytes === b.sizeBytes && Math.abs(a.mtimeMs - b.mtimeMs) < 1 && (a.mode & 0o7777) === (b.mode & 0o7777);
}

/** Every directory that holds something in the tree. */
function parentsOf(tree: ReadonlyMap<string, FileFacts>): Set<string> {
  const parents = new Set<string>();
  for (const p of tree.keys()) {
    const slash = p.lastIndexOf("/");
    if (slash > 0) parents.add(p.slice(0, slash));
  }
  return parents;
}

/** Compares two trees (relative path → facts; "" is not listed). */
export function diffTrees(snapshot: ReadonlyMap<string, FileFacts>, live: ReadonlyMap<string, FileFacts>, limit: number): FilesDiff {
  const out: FilesDiff = { added: 0, removed: 0, changed: 0, unchanged: 0, snapshotBytes: 0, liveBytes: 0, entries: [], truncated: false };
  const all: FileChange[] = [];
  const [snapshotParents, liveParents] = [parentsOf(snapshot), parentsOf(live)];
  const bytes = (f: FileFacts | undefined) => (f && f.type !== "dir" ? f.sizeBytes : 0);
  for (const f of snapshot.values()) out.snapshotBytes += bytes(f);
  for (const f of live.values()) out.liveBytes += bytes(f);
  const note = (path: string, change: FileChangeKind, s: FileFacts | undefined, l: FileFacts | undefined) => {
    out[change]++;
    all.push({ path, change, type: (l ?? s)!.type, snapshotBytes: s ? bytes(s) : null, liveBytes: l ? bytes(l) : null });
  };
  for (const [path, s] of snapshot) {
    const l = live.get(path);
    if (!l) {
      // A directory that went away shows through the files it held; only an empty one is listed.
      if (s.type !== "dir" || !snapshotParents.has(path)) note(path, "removed", s, undefined);
    } else if (!sameFile(s, l)) note(path, "changed", s, l);
    else if (s.type !== "dir") out.unchanged++;
  }
  for (const [path, l] of live) {
    if (snapshot.has(path)) continue;
    if (l.type !== "dir" || !liveParents.has(path)) note(path, "added", undefined, l);
  }
  all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.entries = all.slice(0, Math.max(0, limit));
  out.truncated = all.length > out.entries.length;
  return out;
}

export type DumpTable = { rows: number; digest: string; bytes: number };

/**
 * Reads a mariadb-dump (one line at a time) into its tables: each table's section (structure and
 * data, from its "-- Table structure for table `t`" header to the next header) hashed, and its
 * rows counted from the extended INSERT lines. Two dumps made with the same options (the agent
 * always uses the same, without the date line) of the same data are byte-identical, so equal
 * digests mean an unchanged table.
 */
export class DumpScanner {
  readonly tables = new Map<string, DumpTable>();
  private current: { name: string; hash: Hash; rows: number; bytes: number } | null = null;
  /** Inside a multi-line INSERT (MariaDB 10.11 writes "INSERT INTO `t` VALUES" and then a row per line). */
  private inInsert = false;

  push(line: string): void {
    const header = /^-- (?:Table structure for table|Temporary table structure for view) `((?:[^`]|``)+)`/.exec(line);
    if (header) {
      this.finish();
      this.current = { name: header[1]!.replace(/``/g, "`"), hash: createHash("sha256"), rows: 0, bytes: 0 };
    } else if (/^-- Dumping (?:routines|events) for database/.test(line)) {
      this.finish();
      this.current = { name: "(routines and events)", hash: createHash("sha256"), rows: 0, bytes: 0 };
    }
    if (!this.current) return;
    this.current.hash.update(line).update("\n");
    this.current.bytes += Buffer.byteLength(line) + 1;
    if (line.startsWith("INSERT INTO ")) {
      this.current.rows += countInsertRows(line);
      this.inInsert = !line.trimEnd().endsWith(";");
    } else if (this.inInsert) {
      this.current.rows += countTuples(line, 0);
      if (line.trimEnd().endsWith(";")) this.inInsert = false;
    }
  }

  /** Call after the last line; returns the tables. */
  end(): Map<string, DumpTable> {
    this.finish();
    return this.tables;
  }

  private finish(): void {
    if (!this.current) return;
    const { name, hash, rows, bytes } = this.current;
    this.tables.set(name, { rows, digest: hash.digest("hex"), bytes });
    this.current = null;
  }
}

/**
 * The rows of one `INSERT INTO t VALUES (...),(...);` line: the top-level parentheses after
 * VALUES, skipping quoted strings ('it''s', 'a\'b', backslash escapes as mariadb-dump writes them).
 * A line that ends at VALUES has none (the rows follow on their own lines).
 */
export function countInsertRows(line: string): number {
  const m = / VALUES(?: |$)/.exec(line);
  return m ? countTuples(line, m.index + m[0].length) : 0;
}

/** Top-level parenthesised tuples in `text` from `from` on, outside quoted strings. */
export function countTuples(line: string, from: number): number {
  let rows = 0;
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) {
        if (line[i + 1] === quote) i++;
        else quote = null;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") {
      if (depth === 0) rows++;
      depth++;
    } else if (c === ")") depth = Math.max(0, depth - 1);
  }
  return rows;
}

export type TableChange = { name: string; change: "added" | "removed" | "changed"; snapshotRows: number | null; liveRows: number | null };

export type DatabaseDiff = {
  name: string;
  /**
   * "same": every table identical; "changed": some differ; "not-live": the database does not
   * exist on the node now (the rollback creates it); "not-in-snapshot": the snapshot has no dump
   * of it; "too-large": not compared (sizes only).
   */
  status: "same" | "changed" | "not-live" | "not-in-snapshot" | "too-large";
  snapshotBytes: number | null;
  liveBytes: number | null;
  tablesTotal: number;
  /** Tables that differ ("added": only live, the rollback drops it), the first `limit` by name. */
  tables: TableChange[];
  truncated: boolean;
};

/** Compares a snapshot's dump with a dump of the live database, table by table. */
export function diffDumps(name: string, snapshot: ReadonlyMap<string, DumpTable>, live: ReadonlyMap<string, DumpTable>, limit: number): DatabaseDiff {
  const changes: TableChange[] = [];
  const names = new Set([...snapshot.keys(), ...live.keys()]);
  for (const table of names) {
    const s = snapshot.get(table);
    const l = live.get(table);
    if (s && l && s.digest === l.digest) continue;
    changes.push({ name: table, change: !s ? "added" : !l ? "removed" : "changed", snapshotRows: s?.rows ?? null, liveRows: l?.rows ?? null });
  }
  changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sum = (m: ReadonlyMap<string, DumpTable>) => [...m.values()].reduce((n, t) => n + t.bytes, 0);
  const tables = changes.slice(0, Math.max(0, limit));
  return {
    name,
    status: changes.length === 0 ? "same" : "changed",
    snapshotBytes: sum(snapshot),
    liveBytes: sum(live),
    tablesTotal: [...names].filter((n) => n !== "(routines and events)").length,
    tables,
    truncated: changes.length > tables.length,
  };
}
