import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import type { Connection } from "mariadb";
import type { NodeRoot } from "../node-root";

// An exact "has this database changed since that dump?" without reading the database, from the
// node's binary log (drivers/mariadb.ts starts mariadbd with a row-format binlog).
//
// A mark is a binlog position taken from a consistent snapshot opened before a dump starts
// (MariaDB's Binlog_snapshot_file/position are exact for that snapshot: every transaction
// logged before the position is visible in it). The dump's own snapshot comes later, so it holds
// at least everything before the mark. If no event after the mark touches the database, it
// still holds what the dump holds, and the next snapshot keeps the dump instead of taking it again:
// a move's final delta of a database that nobody wrote is a binlog scan, not a re-read.
//
// Conservative everywhere: a mark from another MariaDB instance (a volume promoted from another
// node's snapshot, a data directory made anew), a purged binlog file, a log that grew too much
// to scan cheaply, or any event it does not understand means "changed", and the dump is taken.

export type BinlogMark = { instance: string; file: string; pos: number };

/** Past this much binlog since the mark, dumping is cheaper than reading the log. */
const maxScanBytes = 32 * 1024 * 1024;
const pageEvents = 2_000;

const instanceFile = (node: NodeRoot) => path.join(node.mysqlDataDir, "shoal-instance-id");

/**
 * This MariaDB data directory's identity: a random id written once into the data directory, so a
 * directory made again (or another node's) never matches an old mark even where file names and
 * positions repeat.
 */
async function instanceId(node: NodeRoot): Promise<string> {
  const file = instanceFile(node);
  const read = async () => (await readFile(file, "utf8").catch(() => "")).trim();
  const existing = await read();
  if (/^[0-9a-f-]{36}$/.test(existing)) return existing;
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch(() => null);
  if (handle) {
    try {
      await handle.writeFile(`${randomUUID()}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  const id = await read();
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`${file} does not hold an instance id.`);
  return id;
}

/** The position now, exact for a consistent snapshot; null when the server keeps no row-format binlog. */
export async function readBinlogMark(conn: Connection, node: NodeRoot): Promise<BinlogMark | null> {
  const [vars] = await conn.query<{ logBin: number | bigint; format: string }[]>("SELECT @@log_bin AS logBin, @@binlog_format AS format");
  if (!vars || Number(vars.logBin) !== 1 || vars.format !== "ROW") return null;
  await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  try {
    const rows = await conn.query<{ Variable_name: string; Value: string }[]>("SHOW STATUS LIKE 'binlog_snapshot_%'");
    const file = rows.find((r) => r.Variable_name === "Binlog_snapshot_file")?.Value;
    const pos = Number(rows.find((r) => r.Variable_name === "Binlog_snapshot_position")?.Value);
    if (!file || !Number.isSafeInteger(pos) || pos <= 0) return null;
    return { instance: await instanceId(node), file, pos };
  } finally {
    await conn.query("ROLLBACK");
  }
}

export function isBinlogMark(value: unknown): value is BinlogMark {
  const m = value as Partial<BinlogMark> | null;
  return typeof m === "object" && m !== null && typeof m.instance === "string" && typeof m.file === "string" && /^[A-Za-z0-9._-]+$/.test(m.file) && Number.isSafeInteger(m.pos) && (m.pos ?? 0) > 0;
}

type BinlogEvent = { Log_name: string; Pos: number | bigint; Event_type: string; End_log_pos: number | bigint; Info: string };

/** Event types that change nothing by themselves (row events name their table in the Table_map before them). */
const inert = new Set(["Format_desc", "Gtid_list", "Binlog_checkpoint", "Gtid", "Xid", "Annotate_rows", "Rotate", "Stop", "Start_encryption", "Heartbeat"]);
const rowEvent = /^(Write|Update|Delete)_rows(_v1|_compressed(_v1)?)?$/;
const transactionControl = /^(BEGIN|COMMIT|ROLLBACK)\b/i;

/**
 * What one event says about `databases`: the ones it may change, or "all" for one this code does
 * not read. Row changes come with a Table_map naming `db.table`; DDL is a Query, which counts for
 * a database it is run in (`use \`db\`;`) or names anywhere in its text.
 */
export function eventTouches(event: Pick<BinlogEvent, "Event_type" | "Info">, databases: readonly string[]): string[] | "all" {
  const type = event.Event_type;
  const info = event.Info ?? "";
  if (inert.has(type) || rowEvent.test(type)) return [];
  if (type === "Table_map") {
    const m = /^table_id: \d+ \(([^.)]+)\./.exec(info);
    return m ? databases.filter((d) => d === m[1]) : "all";
  }
  if (type === "Query") {
    if (transactionControl.test(info.trim())) return [];
    const used = /^use `([^`]+)`; /.exec(info)?.[1];
    return databases.filter((d) => d === used || new RegExp(`(^|[^A-Za-z0-9_$])${d}([^A-Za-z0-9_$]|$)`).test(info));
  }
  return "all";
}

/**
 * Which of `databases` any event from `from` up to `to` may have changed; null when that cannot
 * be known (another instance, a purged file, too much log to read), which the caller takes as all.
 */
export async function databasesChangedBetween(conn: Connection, from: BinlogMark, to: BinlogMark, databases: readonly string[]): Promise<Set<string> | null> {
  if (from.instance !== to.instance) return null;
  const logs = await conn.query<{ Log_name: string; File_size: number | bigint }[]>("SHOW BINARY LOGS");
  const names = logs.map((l) => l.Log_name);
  const start = names.indexOf(from.file);
  const end = names.indexOf(to.file);
  if (start < 0 || end < start) return null;
  if (start === end && from.pos > to.pos) return null;
  let bytes = 0;
  for (let i = start; i <= end; i++) bytes += i === end ? to.pos : Number(logs[i]!.File_size);
  bytes -= from.pos;
  if (bytes > maxScanBytes) return null;

  const changed = new Set<string>();
  for (let i = start; i <= end; i++) {
    const file = names[i]!;
    let pos = i === start ? from.pos : 4;
    const stop = i === end ? to.pos : Number.POSITIVE_INFINITY;
    let lastType = "";
    while (pos < stop) {
      const events = await conn.query<BinlogEvent[]>(`SHOW BINLOG EVENTS IN ${conn.escape(file)} FROM ${pos} LIMIT ${pageEvents}`);
      if (events.length === 0) break;
      for (const event of events) {
        if (Number(event.Pos) >= stop) break;
        lastType = event.Event_type;
        const touched = eventTouches(event, databases);
        if (touched === "all") return null;
        for (const d of touched) changed.add(d);
        if (changed.size === databases.length) return changed;
      }
      const next = Number(events.at(-1)!.End_log_pos);
      if (events.length < pageEvents || next <= pos) break;
      pos = next;
    }
    // A file that ends other than by a Rotate (a FLUSH LOGS or a full file) was the end of a
    // server's run: it may have run without a binlog before the next, so nothing is known.
    if (i < end && lastType !== "Rotate") return null;
  }
  return changed;
}
