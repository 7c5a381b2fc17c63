import { createHash, type Hash } from "node:crypto";
import { constants } from "node:fs";
import { lchown, link, lstat, lutimes, mkdir, open, rm, symlink, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { parseRelativePath } from "./names";
import { treeSummary, walkTree, type TreeEntry } from "./tree";

// The directory driver's replication stream: what `btrfs send -p` is for subvolumes. A framed
// format of our own (tar can't say "this file is unchanged, keep the parent's" nor carry a
// deletion list):
//   "SHOALDIR1\n", then records: 1 byte type, 4 bytes big-endian header length, a JSON header,
//   and for files `size` bytes of content.
//   H {name, parent, parentSummary}  first record
//   X {path}                          in the parent, gone now (all X come before the rest)
//   D {path, mode, uid, gid, mtimeMs} every directory, before what it holds
//   F {path, mode, uid, gid, mtimeMs, size} + bytes   new or changed files only
//   S {path, target, uid, gid, mtimeMs}               every symlink
//   E {records, summary, sha256}      last: sha256 of every byte before this record
// A file of the snapshot that is the same inode as the parent's file at that path (the
// directory driver hard-links unchanged files) is left out: the receiver links its own copy.

const magic = Buffer.from("SHOALDIR1\n");
const maxHeaderBytes = 64 * 1024;

type Meta = { mode: number; uid: number; gid: number; mtimeMs: number };
type Header =
  | { t: "H"; name: string; parent: string | null; parentSummary: string | null }
  | ({ t: "X"; path: string })
  | ({ t: "D"; path: string } & Meta)
  | ({ t: "F"; path: string; size: number } & Meta)
  | { t: "S"; path: string; target: string; uid: number; gid: number; mtimeMs: number }
  | { t: "E"; records: number; summary: string; sha256: string };

function frame(header: Header): Buffer {
  const { t, ...rest } = header;
  const json = Buffer.from(JSON.stringify(rest));
  const head = Buffer.alloc(5);
  head.write(t, 0, "latin1");
  head.writeUInt32BE(json.length, 1);
  return Buffer.concat([head, json]);
}

const metaOf = (e: TreeEntry): Meta => ({
  mode: Number(e.stat.mode & 0o7777n),
  uid: Number(e.stat.uid),
  gid: Number(e.stat.gid),
  mtimeMs: Number(e.stat.mtimeMs),
});

/** The stream of snapshot `dir` (named `name`), incremental against `parentDir` when given. */
export function sendDirSnapshot(dir: string, name: string, parent: { dir: string; name: string } | null): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    const hash = createHash("sha256");
    let records = 0;
    const emit = (buf: Buffer) => {
      hash.update(buf);
      return buf;
    };
    yield emit(magic);
    const parentEntries = new Map<string, TreeEntry>();
    if (parent) for await (const e of walkTree(parent.dir)) parentEntries.set(e.path, e);
    const parentSummary = parent ? (await treeSummary(parent.dir)).digest : null;
    yield emit(frame({ t: "H", name, parent: parent?.name ?? null, parentSummary }));
    records++;
    const current = new Map<string, TreeEntry>();
    for await (const e of walkTree(dir)) current.set(e.path, { ...e });
    for (const [p, e] of parentEntries) {
      if (p === "") continue;
      const now = current.get(p);
      // A path whose type changed is removed first, then sent anew.
      if (!now || now.type !== e.type) {
        yield emit(frame({ t: "X", path: p }));
        records++;
      }
    }
    for (const e of current.values()) {
      if (e.type === "dir") {
        yield emit(frame({ t: "D", path: e.path, ...metaOf(e) }));
      } else if (e.type === "symlink") {
        yield emit(frame({ t: "S", path: e.path, target: e.target!, uid: Number(e.stat.uid), gid: Number(e.stat.gid), mtimeMs: Number(e.stat.mtimeMs) }));
      } else {
        const before = parentEntries.get(e.path);
        if (before && before.type === "file" && before.stat.ino === e.stat.ino && before.stat.dev === e.stat.dev) continue;
        yield emit(frame({ t: "F", path: e.path, size: Number(e.stat.size), ...metaOf(e) }));
        const file = await open(path.join(dir, e.path), constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          let left = Number(e.stat.size);
          for await (const chunk of file.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
            const piece = chunk.length > left ? chunk.subarray(0, left) : chunk;
            left -= piece.length;
            yield emit(piece);
            if (left === 0) break;
          }
          if (left !== 0) throw new Error(`${e.path} changed size while it was sent (a snapshot must not change).`);
        } finally {
          await file.close();
        }
      }
      records++;
    }
    const summary = (await treeSummary(dir)).digest;
    yield frame({ t: "E", records, summary, sha256: hash.digest("hex") });
  }
  return Readable.from(generate(), { objectMode: false });
}

export class InvalidStreamError extends Error {}

/** Reads exact byte counts from a stream, hashing everything it hands out, and bounds the total. */
class FrameReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private readonly it: AsyncIterator<Buffer>;
  total = 0;
  constructor(
    source: AsyncIterable<Buffer>,
    readonly hash: Hash,
    private readonly maxBytes: number,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<void> {
    while (this.length < n) {
      const next = await this.it.next();
      if (next.done) throw new InvalidStreamError("The stream ended early (truncated).");
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      this.total += chunk.length;
      if (this.total > this.maxBytes) throw new InvalidStreamError(`The stream is larger than ${this.maxBytes} bytes.`);
      this.buffered.push(chunk);
      this.length += chunk.length;
    }
  }
  /** Exactly `n` bytes, added to the hash unless `hashIt` is false. */
  async take(n: number, hashIt = true): Promise<Buffer> {
    await this.fill(n);
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.length = rest.length;
    if (hashIt) this.hash.update(out);
    return out;
  }
  /** Hands `n` bytes to `sink` in pieces, so a large file is never held in memory. */
  async pipe(n: number, sink: (piece: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.length === 0) await this.fill(1);
      const piece = await this.take(Math.min(left, this.length));
      left -= piece.length;
      await sink(piece);
    }
  }
  async atEnd(): Promise<boolean> {
    if (this.length > 0) return false;
    const next = await this.it.next();
    if (next.done) return true;
    this.buffered.push(next.value);
    this.length += next.value.length;
    return false;
  }
}

const num = (v: unknown, what: string) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new InvalidStreamError(`Bad ${what} in the stream.`);
  return v;
};

/**
 * Builds snapshot `name` at `dest` (must not exist) from `source`: a hard-linked clone of
 * `parent` (when the stream is incremental) with the stream applied, then checks the result's
 * summary against the sender's. Paths are grammar-checked and every parent directory must be a
 * directory this receive made or cloned, so a symlink in the stream can never redirect a write.
 */
export async function receiveDirSnapshot(
  source: AsyncIterable<Buffer>,
  dest: string,
  expect: { name: string; parentDir: (parentName: string) => Promise<string | null>; maxBytes: number },
): Promise<{ parent: string | null; bytes: number }> {
  const receiver = new DirReceiver(source, dest, expect.maxBytes);
  const first = await receiver.start();
  if (first.name !== expect.name) throw new InvalidStreamError(`The stream holds snapshot ${String(first.name)}, not ${expect.name}.`);
  await mkdir(dest, { mode: 0o700 });
  if (first.parent !== null) {
    if (typeof first.parent !== "string") throw new InvalidStreamError("Bad parent in the stream.");
    const parentDir = await expect.parentDir(first.parent);
    if (!parentDir) throw new InvalidStreamError(`The parent snapshot ${first.parent} is not on this node.`);
    if ((await treeSummary(parentDir)).digest !== first.parentSummary) {
      throw new InvalidStreamError(`This node's copy of ${first.parent} differs from the sender's; send a full stream.`);
    }
    await receiver.cloneParent(parentDir);
  }
  await receiver.applyRecords();
  return { parent: first.parent, bytes: receiver.bytes };
}

/** One receive: the stream being read and what it has built at `dest` so far. */
class DirReceiver {
  private readonly hash = createHash("sha256");
  private readonly reader: FrameReader;
  // Known directories: a write may only go into one of these (never through a symlink).
  private readonly dirs = new Set<string>([""]);
  private readonly dirMeta: { path: string; mtimeMs: number }[] = [];
  private records = 1;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly dest: string,
    maxBytes: number,
  ) {
    this.reader = new FrameReader(source, this.hash, maxBytes);
  }

  get bytes(): number {
    return this.reader.total;
  }

  /** Reads the magic and the H record. */
  async start(): Promise<Extract<Header, { t: "H" }>> {
    if (!(await this.reader.take(magic.length)).equals(magic)) throw new InvalidStreamError("Not a Shoal directory snapshot stream.");
    const first = await this.readHeader();
    if (first.t !== "H") throw new InvalidStreamError("The stream does not start with its header.");
    return first;
  }

  private async readHeader(): Promise<Header> {
    const head = await this.reader.take(5, false);
    const t = head.toString("latin1", 0, 1);
    const len = head.readUInt32BE(1);
    if (len > maxHeaderBytes) throw new InvalidStreamError("A record header is too large.");
    const json = await this.reader.take(len, false);
    // The E record carries the hash of everything before it, so it is not part of it.
    if (t !== "E") this.hash.update(head).update(json);
    let body: unknown;
    try {
      body = JSON.parse(json.toString("utf8"));
    } catch {
      throw new InvalidStreamError("A record header is not JSON.");
    }
    if (typeof body !== "object" || body === null) throw new InvalidStreamError("A record header is not an object.");
    return { t, ...body } as Header;
  }

  /** The parent's tree at `dest`: directories made, files hard-linked, symlinks copied. */
  async cloneParent(parentDir: string): Promise<void> {
    for await (const e of walkTree(parentDir)) {
      if (e.path === "") continue;
      const target = path.join(this.dest, e.path);
      if (e.type === "dir") {
        await mkdir(target, { mode: 0o700 });
        this.dirs.add(e.path);
      } else if (e.type === "file") await link(path.join(parentDir, e.path), target);
      else {
        await symlink(e.target!, target);
        await lchown(target, Number(e.stat.uid), Number(e.stat.gid));
      }
    }
  }

  /** Applies every record up to E, then checks the stream and the tree against it. */
  async applyRecords(): Promise<void> {
    for (;;) {
      const h = await this.readHeader();
      if (h.t === "E") return this.finish(h);
      this.records++;
      if (h.t === "X") await this.remove(h.path);
      else if (h.t === "D") await this.directory(h);
      else if (h.t === "F") await this.file(h);
      else if (h.t === "S") await this.symlink(h);
      else throw new InvalidStreamError(`Unknown record type in the stream.`);
    }
  }

  private async finish(h: Extract<Header, { t: "E" }>): Promise<void> {
    if (h.sha256 !== this.hash.digest("hex")) throw new InvalidStreamError("The stream's checksum does not match (corrupted).");
    if (h.records !== this.records) throw new InvalidStreamError("The stream's record count does not match.");
    if (!(await this.reader.atEnd())) throw new InvalidStreamError("Bytes follow the end of the stream.");
    // Directory times last, deepest first: creating entries moved them.
    for (const d of this.dirMeta.reverse()) {
      const t = d.mtimeMs / 1000;
      await utimes(d.path, t, t);
    }
    if ((await treeSummary(this.dest)).digest !== h.summary) throw new InvalidStreamError("The received tree differs from the sender's.");
  }

  /** A checked path of the stream: relative, and inside a directory this receive knows. */
  private place(p: unknown): { rel: string; full: string } {
    if (typeof p !== "string") throw new InvalidStreamError("Bad path in the stream.");
    let segments: string[];
    try {
      segments = parseRelativePath(p);
    } catch (e) {
      throw new InvalidStreamError(`Bad path "${p}" in the stream: ${(e as Error).message}`);
    }
    if (segments.length === 0 && p !== "") throw new InvalidStreamError("Bad path in the stream.");
    const parent = segments.slice(0, -1).join("/");
    if (p !== "" && !this.dirs.has(parent)) throw new InvalidStreamError(`"${p}" is not inside a directory of the stream.`);
    return { rel: p, full: p === "" ? this.dest : path.join(this.dest, p) };
  }

  /** A path that is not a directory of the stream (a file or symlink goes there). */
  private placeLeaf(p: unknown): string {
    const { rel, full } = this.place(p);
    if (rel === "" || this.dirs.has(rel)) throw new InvalidStreamError(`"${rel}" is a directory in the stream.`);
    return full;
  }

  private async remove(p: unknown): Promise<void> {
    const { rel, full } = this.place(p);
    if (rel === "") throw new InvalidStreamError("The stream deletes the whole tree.");
    await clear(full);
    for (const d of [...this.dirs]) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
  }

  private async directory(h: Extract<Header, { t: "D" }>): Promise<void> {
    const { rel, full } = this.place(h.path);
    const s = await lstat(full).catch(() => null);
    if (s && !s.isDirectory()) await unlink(full);
    if (!s || !s.isDirectory()) await mkdir(full, { mode: 0o700 });
    await lchown(full, num(h.uid, "uid"), num(h.gid, "gid"));
    const handle = await open(full, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      await handle.chmod(num(h.mode, "mode") & 0o7777);
    } finally {
      await handle.close();
    }
    this.dirs.add(rel);
    this.dirMeta.push({ path: full, mtimeMs: num(h.mtimeMs, "mtime") });
  }

  private async file(h: Extract<Header, { t: "F" }>): Promise<void> {
    const full = this.placeLeaf(h.path);
    await clear(full);
    const size = num(h.size, "size");
    const out = await open(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await this.reader.pipe(size, async (piece) => {
        await out.write(piece);
      });
      await out.chown(num(h.uid, "uid"), num(h.gid, "gid"));
      await out.chmod(num(h.mode, "mode") & 0o7777);
      const t = num(h.mtimeMs, "mtime") / 1000;
      await out.utimes(t, t);
    } finally {
      await out.close();
    }
  }

  private async symlink(h: Extract<Header, { t: "S" }>): Promise<void> {
    const full = this.placeLeaf(h.path);
    if (typeof h.target !== "string" || h.target === "" || h.target.includes("\0")) throw new InvalidStreamError("Bad symlink target.");
    await clear(full);
    await symlink(h.target, full);
    await lchown(full, num(h.uid, "uid"), num(h.gid, "gid"));
    const t = num(h.mtimeMs, "mtime") / 1000;
    await lutimes(full, t, t);
  }
}

/** Removes whatever is at `full`, if anything. */
async function clear(full: string): Promise<void> {
  const s = await lstat(full).catch(() => null);
  if (s && !s.isDirectory()) await unlink(full);
  else if (s) await rm(full, { recursive: true });
}
