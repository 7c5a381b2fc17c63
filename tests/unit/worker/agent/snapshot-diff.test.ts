import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countInsertRows, diffDumps, diffTrees, DumpScanner, type FileFacts } from "../../../../worker/agent/storage/snapshot-diff";

const file = (sizeBytes: number, mtimeMs = 1_000, mode = 0o644): FileFacts => ({ type: "file", sizeBytes, mtimeMs, mode });
const dir: FileFacts = { type: "dir", sizeBytes: 0, mtimeMs: 5, mode: 0o755 };

describe("diffTrees", () => {
  it("names files added, removed and changed since the snapshot, by path, with both sizes", () => {
    const snapshot = new Map<string, FileFacts>([
      ["public", dir],
      ["public/index.php", file(100)],
      ["public/old.html", file(10)],
      ["public/style.css", file(50, 1_000)],
      ["public/same.txt", file(7)],
      ["public/mode.sh", file(7, 1_000, 0o644)],
      ["public/link", { type: "symlink", sizeBytes: 3, mtimeMs: 1, mode: 0o777, target: "a" }],
    ]);
    const live = new Map<string, FileFacts>([
      ["public", { ...dir, mtimeMs: 99 }],
      ["public/index.php", file(120, 2_000)],
      ["public/style.css", file(50, 2_000)],
      ["public/same.txt", file(7)],
      ["public/mode.sh", file(7, 1_000, 0o755)],
      ["public/new.html", file(30)],
      ["public/link", { type: "symlink", sizeBytes: 3, mtimeMs: 9, mode: 0o777, target: "b" }],
    ]);
    const d = diffTrees(snapshot, live, 100);
    expect(d).toMatchObject({ added: 1, removed: 1, changed: 4, unchanged: 1, truncated: false });
    expect(d.entries.map((e) => `${e.change} ${e.path}`)).toEqual([
      "changed public/index.php",
      "changed public/link",
      "changed public/mode.sh",
      "added public/new.html",
      "removed public/old.html",
      "changed public/style.css",
    ]);
    expect(d.entries[0]).toEqual({ path: "public/index.php", change: "changed", type: "file", snapshotBytes: 100, liveBytes: 120 });
    expect(d.snapshotBytes).toBe(100 + 10 + 50 + 7 + 7 + 3);
  });

  it("lists a removed folder through its files, and an empty one by itself", () => {
    const snapshot = new Map<string, FileFacts>([
      ["a", dir],
      ["a/b", dir],
      ["a/b/c.txt", file(1)],
      ["empty", dir],
    ]);
    const d = diffTrees(snapshot, new Map(), 10);
    expect(d.entries.map((e) => e.path)).toEqual(["a/b/c.txt", "empty"]);
    expect(d.removed).toBe(2);
  });

  it("keeps the counts whole when the list is cut at the limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 50 }), (n, limit) => {
        const live = new Map<string, FileFacts>(Array.from({ length: n }, (_, i) => [`f${String(i).padStart(4, "0")}`, file(i)]));
        const d = diffTrees(new Map(), live, limit);
        expect(d.added).toBe(n);
        expect(d.entries).toHaveLength(Math.min(n, limit));
        expect(d.truncated).toBe(n > limit);
        expect(d.entries.map((e) => e.path)).toEqual([...live.keys()].slice(0, limit));
      }),
    );
  });

  it("takes a file put back with utimes (millisecond time through a double) as unchanged", () => {
    const snap = new Map<string, FileFacts>([["f", file(3, 1796195455643.1956)]]);
    expect(diffTrees(snap, new Map([["f", file(3, 1796195455642.999)]]), 10)).toMatchObject({ changed: 0, unchanged: 1 });
    expect(diffTrees(snap, new Map([["f", file(3, 1796195455645)]]), 10)).toMatchObject({ changed: 1 });
  });

  it("finds nothing between a tree and itself", () => {
    const t = new Map<string, FileFacts>([["x", dir], ["x/y", file(3)]]);
    expect(diffTrees(t, new Map(t), 10)).toMatchObject({ added: 0, removed: 0, changed: 0, unchanged: 1, entries: [] });
  });
});

describe("countInsertRows", () => {
  it("counts top-level tuples, not parentheses or commas inside strings", () => {
    expect(countInsertRows("INSERT INTO `t` VALUES (1,'a'),(2,'b (c), d'),(3,'it\\'s (x)');")).toBe(3);
    expect(countInsertRows("INSERT INTO `t` VALUES (1,'a\\\\'),(2,'\\\\\\'(')")).toBe(2);
    expect(countInsertRows("INSERT INTO `t` VALUES (1,0x2829,NULL);")).toBe(1);
    expect(countInsertRows("INSERT INTO `t` (`a`) VALUES ('x''y(')")).toBe(1);
    expect(countInsertRows("DROP TABLE x;")).toBe(0);
    expect(countInsertRows("INSERT INTO `t` VALUES")).toBe(0);
  });

  it("counts the rows of a multi-line INSERT as MariaDB 10.11's mariadb-dump writes it", () => {
    // Verbatim shape of `mariadb-dump` 10.11: the VALUES keyword alone, then one row per line.
    const s = new DumpScanner();
    for (const line of ["-- Table structure for table `t`", "CREATE TABLE `t` (id int);", "INSERT INTO `t` VALUES", "(1,'a (b), c'),", "(2,'it\\'s;'),", "(3,'x');", "/*!40000 ALTER TABLE `t` ENABLE KEYS */;", "(9) not a row"]) s.push(line);
    expect(s.end().get("t")?.rows).toBe(3);
  });
});

const dump = (rows: Record<string, string[]>) =>
  [
    "/*!40101 SET NAMES utf8mb4 */;",
    ...Object.entries(rows).flatMap(([t, values]) => [
      "--",
      `-- Table structure for table \`${t}\``,
      "--",
      `CREATE TABLE \`${t}\` (id int);`,
      "--",
      `-- Dumping data for table \`${t}\``,
      "--",
      ...(values.length ? [`INSERT INTO \`${t}\` VALUES ${values.map((v) => `(${v})`).join(",")};`] : []),
      "UNLOCK TABLES;",
    ]),
    "-- Dump completed",
  ];

function scan(lines: string[]) {
  const s = new DumpScanner();
  for (const l of lines) s.push(l);
  return s.end();
}

describe("DumpScanner and diffDumps", () => {
  it("reads tables with their row counts, and names the tables whose contents differ", () => {
    const before = scan(dump({ wp_options: ["1,'blogname','My blog'", "2,'x','y'"], wp_posts: ["1,'Hello'"], wp_old: [] }));
    const after = scan(dump({ wp_options: ["1,'blogname','Renamed'", "2,'x','y'"], wp_posts: ["1,'Hello'", "2,'New post'"], wp_new: ["1"] }));
    expect(before.get("wp_options")?.rows).toBe(2);
    expect(before.get("wp_old")?.rows).toBe(0);
    const d = diffDumps("shop_wp", before, after, 10);
    expect(d).toMatchObject({ name: "shop_wp", status: "changed", tablesTotal: 4, truncated: false });
    expect(d.tables).toEqual([
      { name: "wp_new", change: "added", snapshotRows: null, liveRows: 1 },
      { name: "wp_old", change: "removed", snapshotRows: 0, liveRows: null },
      { name: "wp_options", change: "changed", snapshotRows: 2, liveRows: 2 },
      { name: "wp_posts", change: "changed", snapshotRows: 1, liveRows: 2 },
    ]);
  });

  it("says same for two identical dumps", () => {
    const lines = dump({ a: ["1"], b: ["2", "3"] });
    expect(diffDumps("d", scan(lines), scan([...lines]), 10)).toMatchObject({ status: "same", tables: [], tablesTotal: 2 });
  });
});
