import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAppMarker } from "../../../worker/agent/apps/marker";
import { dumpFileIn, readStamp } from "../../../worker/agent/storage/db-dumps";
import { openDirChecked, withHandle } from "../../../worker/agent/storage/safe-fs";
import { ensureVolumeLayout, snapshotTreeRoot } from "../../../worker/agent/storage/volume-layout";
import { lookupSystemGroupId } from "../../../worker/agent/system-users";

// A site volume of the earlier layout (the customer's tree at the volume root, the platform's
// dumps, app marker and install stages among the customer's files) is converted on converge to
// the current one (files/ the customer's, meta/ root's), idempotently and resumably; snapshots of
// either layout are read by the same code. Runs as root on a plain directory (the conversion is
// the same on a btrfs subvolume: renames within the volume).

let base: string;
let wwwData: number;
const account = { uid: 23456, gid: 0 };

beforeAll(async () => {
  base = await mkdtemp("/var/tmp/volume-layout-");
  wwwData = (await lookupSystemGroupId("www-data"))!;
  account.gid = wwwData;
});

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

/** A volume as the earlier agent left it: the account's 2750 root with everything in it. */
async function earlierVolume(name: string): Promise<string> {
  const volume = path.join(base, name);
  await mkdir(path.join(volume, "public"), { recursive: true });
  await writeFile(path.join(volume, "public/index.php"), "<?php echo 'mine';\n");
  // The customer's own entries that happen to have the new layout's names.
  await mkdir(path.join(volume, "files"));
  await writeFile(path.join(volume, "files/own.txt"), "my files dir\n");
  await writeFile(path.join(volume, "meta"), "my meta file\n");
  for (const p of ["public", "public/index.php", "files", "files/own.txt", "meta"]) await chown(path.join(volume, p), account.uid, wwwData);
  // The platform's: root's dump directory and marker, and a stage an install left.
  await mkdir(path.join(volume, ".shoal-db"), { mode: 0o700 });
  await writeFile(path.join(volume, ".shoal-db/site_db.sql"), "CREATE TABLE t (id INT);\n", { mode: 0o600 });
  await writeFile(path.join(volume, ".shoal-db/snapshot.json"), `${JSON.stringify({ format: 1, name: "s-1", takenAt: "2026-12-01T00:00:00.000Z", databases: ["site_db"] })}\n`, { mode: 0o600 });
  await writeFile(path.join(volume, ".shoal-app.json"), `${JSON.stringify({ kind: "wordpress", installedAt: "2026-12-01T00:00:00.000Z" })}\n`);
  await mkdir(path.join(volume, ".shoal-app-stage-x1"));
  await chown(volume, account.uid, wwwData);
  await chmod(volume, 0o2750);
  return volume;
}

async function expectCurrentLayout(volume: string): Promise<void> {
  const root = await lstat(volume);
  expect([root.uid, root.mode & 0o7777]).toEqual([0, 0o711]);
  expect((await readdir(volume)).sort()).toEqual(["files", "meta"]);
  const files = await lstat(path.join(volume, "files"));
  expect([files.uid, files.gid, files.mode & 0o7777]).toEqual([account.uid, wwwData, 0o2750]);
  const meta = await lstat(path.join(volume, "meta"));
  expect([meta.uid, meta.mode & 0o7777]).toEqual([0, 0o700]);
}

const convert = (volume: string) => withHandle(openDirChecked(volume), (h) => ensureVolumeLayout(h, account));

describe("ensureVolumeLayout", () => {
  it("makes a new, empty volume's two parts", async () => {
    const volume = path.join(base, "new1");
    await mkdir(volume, { mode: 0o700 });
    expect(await convert(volume)).toBe(false);
    await expectCurrentLayout(volume);
    expect(await readdir(path.join(volume, "files"))).toEqual([]);
  });

  it("converts a volume of the earlier layout: the customer's tree whole in files/, the platform's in meta/, no platform name left", async () => {
    const volume = await earlierVolume("old1");
    expect(await convert(volume)).toBe(true);
    await expectCurrentLayout(volume);
    expect((await readdir(path.join(volume, "files"))).sort()).toEqual(["files", "meta", "public"]);
    expect(await readFile(path.join(volume, "files/public/index.php"), "utf8")).toBe("<?php echo 'mine';\n");
    expect(await readFile(path.join(volume, "files/files/own.txt"), "utf8")).toBe("my files dir\n");
    expect(await readFile(path.join(volume, "files/meta"), "utf8")).toBe("my meta file\n");
    expect((await readdir(path.join(volume, "meta"))).sort()).toEqual(["app.json", "db"]);
    expect((await readdir(path.join(volume, "meta/db"))).sort()).toEqual(["site_db.sql", "snapshot.json"]);
    expect(await readAppMarker(volume)).toMatchObject({ kind: "wordpress" });

    // Idempotent: a second converge moves nothing.
    expect(await convert(volume)).toBe(false);
    await expectCurrentLayout(volume);
    expect((await readdir(path.join(volume, "files"))).sort()).toEqual(["files", "meta", "public"]);
  });

  it("resumes a conversion a crash interrupted half-way", async () => {
    const volume = await earlierVolume("old2");
    // As if the agent stopped after making its collecting directory, taking the root and moving one entry.
    await mkdir(path.join(volume, ".converting-abc123"), { mode: 0o700 });
    await chown(volume, 0, 0);
    await chmod(volume, 0o711);
    await writeFile(path.join(volume, ".converting-abc123/early.txt"), "moved before the crash\n");
    expect(await convert(volume)).toBe(true);
    await expectCurrentLayout(volume);
    expect((await readdir(path.join(volume, "files"))).sort()).toEqual(["early.txt", "files", "meta", "public"]);
    expect(await readAppMarker(volume)).toMatchObject({ kind: "wordpress" });
  });

  it("leaves a customer's look-alike platform entries theirs: never moved into meta/", async () => {
    const volume = path.join(base, "old3");
    await mkdir(path.join(volume, ".shoal-db"), { recursive: true });
    await writeFile(path.join(volume, ".shoal-db/site_db.sql"), "DROP DATABASE mysql;\n");
    await writeFile(path.join(volume, ".shoal-app.json"), "{}\n");
    for (const p of [".shoal-db", ".shoal-db/site_db.sql", ".shoal-app.json", ""]) await chown(path.join(volume, p), account.uid, wwwData);
    await convert(volume);
    await expectCurrentLayout(volume);
    expect(await readdir(path.join(volume, "meta"))).toEqual([]);
    expect((await readdir(path.join(volume, "files"))).sort()).toEqual([".shoal-app.json", ".shoal-db"]);
    await expect(dumpFileIn(volume, "site_db")).rejects.toThrow(/no dump/);
  });
});

describe("snapshots of either layout", () => {
  it("show only the customer's tree and find the dumps where the layout keeps them", async () => {
    const earlier = await earlierVolume("snap-old");
    const current = await earlierVolume("snap-new");
    await convert(current);
    for (const snapshot of [earlier, current]) {
      const { dir, hidden } = await snapshotTreeRoot(snapshot);
      const shown = (await readdir(dir)).filter((n) => !hidden(n)).sort();
      // The earlier layout's stage is in the copy (it was taken before conversion); it is hidden like the rest.
      expect(shown).toEqual(["files", "meta", "public"]);
      expect(await readFile(await dumpFileIn(snapshot, "site_db"), "utf8")).toBe("CREATE TABLE t (id INT);\n");
      expect(await readStamp(snapshot)).toMatchObject({ name: "s-1", databases: ["site_db"] });
    }
  });
});
