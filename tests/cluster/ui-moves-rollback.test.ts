import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, type Browser, type Locator, type Page } from "@playwright/test";
import mariadb from "mariadb";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { SessionUser } from "../../server/auth/auth-state";
import { databasePassword } from "../../server/contract/cluster-secrets";
import { db } from "../../server/db";
import { seededSecret, SEED_PASSWORD, signIn } from "../e2e/helpers";
import { callerFor } from "../helpers/fixtures";
import { startCluster, type Cluster } from "./harness";
import { operationSucceeded } from "./operations";
import { startPanelBrowser, type PanelBrowser } from "./panel-browser";

// The admin's drag-to-move and the customer's rollback, in Chromium on a real three-node cluster
// (btrfs, as npm start runs it) with the production build of the panel (.next-test, built here if
// missing, as tests/cluster/browser.test.ts does):
// (a) the admin drags a WordPress site's mark onto another node on /admin/cluster, confirms, and
//     watches the move until the mark sits on the new node; a pinned site refuses to be dragged;
// (b) a customer changes their site after a snapshot, restores one file from the snapshot's file
//     browser, previews the rollback (the changed page and the changed table are listed), rolls
//     back and sees the old page through an edge.

const root = path.resolve(import.meta.dirname, "../..");
const PORT = 3211;
const distDir = process.env.SHOAL_PANEL_DIST ?? ".next-test";
const shots = path.join(root, "var/test-results/screenshots");
const customerEmail = "customer1@reseller-one.localhost";
let cluster: Cluster;
let panelBrowser: PanelBrowser | undefined;
let browser: Browser;
let customer: ReturnType<typeof callerFor>;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const finished = (operationId: string, timeoutMs = 120_000) => operationSucceeded(cluster, operationId, timeoutMs);

async function installWordPress(domain: string) {
  const d = await customer.domain.create({ name: domain });
  const site = await customer.site.create({ domainId: d.id, app: "WORDPRESS", phpVersion: "8.2", documentRoot: "public" });
  return site;
}

async function liveNodeOf(siteId: string) {
  const p = await db.placement.findFirstOrThrow({ where: { siteId, role: "PRIMARY" }, include: { node: true } });
  return { placement: p, node: cluster.nodes.find((n) => n.name === p.node.name)! };
}

/** A real pointer drag: press on the mark, move in steps (pointermove events), release over the target. */
async function drag(page: Page, from: Locator, to: Locator, midShot?: string) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 15 });
  if (midShot) await shot(page, midShot);
  await page.mouse.up();
}

// The timeline's button names carry the time as the browser formats it: one locale and zone.
const pointFormat = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });
/** An accessible name `${prefix}${time}`, whichever space (a narrow no-break one, since ICU 72) the engine puts before AM/PM. */
const named = (prefix: string, time: string) => new RegExp(`^${`${prefix}${time}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s")}$`);

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1, seed: false, storage: "btrfs", workerEnv: { SHOAL_SNAPSHOT_TICK_MS: "1000" } });
  await mkdir(shots, { recursive: true });
  panelBrowser = await startPanelBrowser(cluster, { port: PORT, distDir });
  browser = panelBrowser.browser;
  const u = await db.user.findUniqueOrThrow({ where: { email: customerEmail } });
  customer = callerFor({ id: u.id, email: u.email, name: u.name, role: u.role, resellerId: u.resellerId, customerId: u.customerId, twoFactorEnabled: true } satisfies SessionUser);
  await cluster.waitFor("three healthy nodes", async () => (await db.node.count({ where: { status: "HEALTHY" } })) === 3);
}, 400_000);

afterAll(async () => {
  await panelBrowser?.stop();
  await cluster?.stop();
});

describe("moves and rollbacks in the panel, in Chromium", () => {
  it("an admin drags a WordPress site onto another node, confirms, and watches the move complete", async () => {
    const site = await installWordPress("drag-me.test");
    await finished(site.operationId);
    const { placement: before, node: source } = await liveNodeOf(site.id);
    const target = cluster.nodes.find((n) => n.name !== source.name)!;
    const targetId = (await db.node.findUniqueOrThrow({ where: { name: target.name } })).id;
    const sourceId = before.nodeId;

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const url = `http://localhost:${PORT}`;
    await signIn(page, url, "admin@shoal.localhost", SEED_PASSWORD, { totpSecret: seededSecret("admin@shoal.localhost") });
    await page.goto(`${url}/admin/cluster`);
    const mark = (nodeId: string) => page.locator(`li[data-node-drop="${nodeId}"] [data-site-mark="live"][data-site-id="${site.id}"]`);
    await expect(mark(sourceId)).toBeVisible({ timeout: 20_000 });
    await expect(page.getByText("Live", { exact: true })).toBeVisible();
    await expect(page.getByRole("table", { name: "Replica lag" }).getByRole("row", { name: "Replication of drag-me.test" })).toBeVisible();
    await shot(page, "ui-moves-01-cluster-map");

    await drag(page, mark(sourceId), page.locator(`li[data-node-drop="${targetId}"]`), "ui-moves-02-dragging");
    const confirm = page.getByRole("dialog", { name: `Move drag-me.test to ${target.name}?` });
    await expect(confirm).toBeVisible();
    await shot(page, "ui-moves-03-confirm");
    await confirm.getByRole("button", { name: "Move site" }).click();
    await expect(page.getByText(`Moving drag-me.test to ${target.name}`).first()).toBeVisible();

    // In flight: the map shows it moving (or paused while requests are held) on the source...
    await expect(mark(sourceId)).toContainText(/moving|paused/, { timeout: 20_000 });
    await shot(page, "ui-moves-04-in-flight");
    // ...until the move is done and the feed puts its live mark on the target.
    const op = await db.operation.findFirstOrThrow({ where: { targetId: site.id, kind: "site.move" }, orderBy: { createdAt: "desc" } });
    await finished(op.id, 240_000);
    await expect(mark(targetId)).toBeVisible({ timeout: 30_000 });
    await expect(mark(targetId)).not.toContainText(/moving|paused/, { timeout: 30_000 });
    await shot(page, "ui-moves-05-moved");
    const after = await db.placement.findFirstOrThrow({ where: { siteId: site.id, role: "PRIMARY" } });
    expect(after.nodeId).toBe(targetId);
    expect(after.epoch).toBe(before.epoch + 1);
    const third = cluster.nodes.find((n) => n.name !== source.name && n.name !== target.name)!;
    for (const edge of [source, target, third]) {
      const res = await cluster.edgeGet(edge.index, "drag-me.test", "/");
      expect(res.status, `through ${edge.name}'s edge`).toBe(200);
      expect(res.body).toContain("drag-me.test");
    }

    // A pinned site shows its pin and refuses to be dragged, saying why.
    await db.site.update({ where: { id: site.id }, data: { pinnedNodeId: targetId } });
    await expect(mark(targetId)).toHaveAttribute("title", new RegExp(`pinned to ${target.name}`), { timeout: 15_000 });
    await drag(page, mark(targetId), page.locator(`li[data-node-drop="${sourceId}"]`));
    await expect(page.getByRole("alert").filter({ hasText: `drag-me.test is pinned to ${target.name}` })).toBeVisible();
    await expect(page.getByRole("dialog", { name: /^Move drag-me\.test/ })).toHaveCount(0);
    await shot(page, "ui-moves-06-pinned-refused");

    // Unpinned, the keyboard's way: Enter on the focused mark asks for the node, then confirms.
    await db.site.update({ where: { id: site.id }, data: { pinnedNodeId: null } });
    await expect(mark(targetId)).not.toHaveAttribute("title", /pinned/, { timeout: 15_000 });
    await mark(targetId).focus();
    await page.keyboard.press("Enter");
    const chooser = page.getByRole("dialog", { name: "Move drag-me.test", exact: true });
    await chooser.getByLabel("To node").selectOption({ label: third.name });
    await chooser.getByRole("button", { name: "Continue" }).click();
    const keyboardConfirm = page.getByRole("dialog", { name: `Move drag-me.test to ${third.name}?` });
    await expect(keyboardConfirm).toBeVisible();
    await shot(page, "ui-moves-07-keyboard-confirm");
    await keyboardConfirm.getByRole("button", { name: "Cancel" }).click();
    await expect(keyboardConfirm).toBeHidden();
    expect(await db.operation.count({ where: { targetId: site.id, kind: "site.move" } })).toBe(1);
    await context.close();
  });

  it("a customer restores one file, previews the rollback, rolls back and sees the old page", async () => {
    const site = await installWordPress("roll-me.test");
    await finished(site.operationId);
    const { node: live, placement } = await liveNodeOf(site.id);
    const account = await db.hostingAccount.findFirstOrThrow({ where: { sites: { some: { id: site.id } } } });
    const docroot = path.join(live.root.siteDir(account.username, site.id), "public");
    await writeFile(path.join(docroot, "hello.html"), "the old page\n");
    await writeFile(path.join(docroot, "notes.txt"), "note v1\n");
    const written = new Date();

    // A snapshot with those files: every 5 s for this test, then none while the test changes things.
    await db.plan.updateMany({ data: { snapshotCadenceSec: 5 } });
    const snapshot = await cluster.waitFor(
      "a snapshot after the files were written",
      () => db.snapshot.findFirst({ where: { siteId: site.id, nodeId: placement.nodeId, takenAt: { gt: written } }, orderBy: { takenAt: "asc" } }).then((s) => s ?? undefined),
      { timeoutMs: 60_000 },
    );
    await db.plan.updateMany({ data: { snapshotCadenceSec: 86_400 } });

    // Then the site changes: the page, the note, and the blog's name in its database.
    await writeFile(path.join(docroot, "hello.html"), "the new page, after the snapshot\n");
    await writeFile(path.join(docroot, "notes.txt"), "note v2\n");
    const database = await db.database.findFirstOrThrow({ where: { siteId: site.id }, include: { users: true } });
    const conn = await mariadb.createConnection({ host: live.address, port: 13306, user: database.users[0]!.username, password: databasePassword(cluster.clusterSecret, database.users[0]!.id), database: database.name });
    await conn.query("UPDATE wp_options SET option_value = 'Changed after the snapshot' WHERE option_name = 'blogname'");
    await conn.end();
    expect((await cluster.edgeGet(1, "roll-me.test", "/hello.html")).body).toBe("the new page, after the snapshot\n");
    expect((await cluster.edgeGet(1, "roll-me.test", "/")).body).toContain("Changed after the snapshot");

    const context = await browser.newContext({ locale: "en-US", timezoneId: "UTC", viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const panelUrl = `http://panel.reseller-one.localhost:${PORT}`;
    await signIn(page, panelUrl, customerEmail, SEED_PASSWORD);
    await page.goto(`${panelUrl}/sites`);
    await page.getByRole("button", { name: "Snapshots of roll-me.test" }).click();
    const timeline = page.getByRole("dialog", { name: "Roll back roll-me.test", exact: true });
    const when = pointFormat.format(snapshot.takenAt);
    await expect(timeline.getByRole("button", { name: named("Roll back to ", when) })).toBeVisible({ timeout: 15_000 });

    // One file back from the snapshot's file browser; a path that climbs out is refused on the field.
    await timeline.getByRole("button", { name: named("Browse files of ", when) }).click();
    const files = page.getByRole("dialog", { name: named("Files on ", when) });
    await files.getByRole("button", { name: "Open folder public" }).click();
    await expect(files.getByRole("button", { name: "Restore public/notes.txt" })).toBeVisible();
    await shot(page, "ui-rollback-01-snapshot-files");
    await files.getByRole("button", { name: "Restore public/notes.txt" }).click();
    await expect(files.getByRole("status").filter({ hasText: "Restored public/notes.txt" })).toBeVisible();
    expect((await cluster.edgeGet(1, "roll-me.test", "/notes.txt")).body).toBe("note v1\n");
    expect((await cluster.edgeGet(1, "roll-me.test", "/hello.html")).body).toBe("the new page, after the snapshot\n");
    await files.getByLabel("Folder or file").fill("../../etc/passwd");
    await files.getByRole("button", { name: "Open", exact: true }).click();
    await expect(files.getByText('".." is not allowed: the path must stay inside the snapshot.')).toBeVisible();
    await shot(page, "ui-rollback-02-file-restored-and-bad-path");
    await page.keyboard.press("Escape");
    await expect(files).toBeHidden();

    // The preview lists what the rollback changes, before the customer confirms.
    await timeline.getByRole("button", { name: named("Roll back to ", when) }).click();
    const preview = page.getByRole("dialog", { name: "Roll back roll-me.test?" });
    const changes = preview.getByRole("region", { name: "What the rollback changes" });
    await expect(changes.getByText("public/hello.html")).toBeVisible({ timeout: 30_000 });
    await expect(changes.getByText("public/notes.txt")).toHaveCount(0);
    await expect(changes.getByText("wp_options")).toBeVisible();
    await shot(page, "ui-rollback-03-preview");
    await preview.getByRole("button", { name: "Roll back", exact: true }).click();
    await expect(page.getByText("Rolling back roll-me.test").first()).toBeVisible();
    await cluster.waitFor("the rollback to finish", async () => {
      const op = await db.operation.findFirst({ where: { targetId: site.id, kind: "site.rollback" }, orderBy: { createdAt: "desc" } });
      if (op?.status === "FAILED") throw new Error(`the rollback failed: ${op.lastError}`);
      return op?.status === "SUCCEEDED";
    }, { timeoutMs: 90_000 });
    await expect(page.getByRole("row", { name: /roll-me\.test/ })).toContainText("Succeeded", { timeout: 15_000 });
    await shot(page, "ui-rollback-04-rolled-back-panel");

    // The old page and the old name, through an edge, in the browser too.
    for (const n of cluster.nodes) expect((await cluster.edgeGet(n.index, "roll-me.test", "/hello.html")).body).toBe("the old page\n");
    const front = await cluster.edgeGet(2, "roll-me.test", "/");
    expect(front.body).not.toContain("Changed after the snapshot");
    const tab = await context.newPage();
    await tab.goto("http://roll-me.test/hello.html");
    await expect(tab.locator("body")).toHaveText("the old page");
    await shot(tab, "ui-rollback-05-old-page");
    await tab.goto("http://roll-me.test/");
    await expect(tab).toHaveTitle(/roll-me\.test/);
    await expect(tab).not.toHaveTitle(/Changed after the snapshot/);
    await shot(tab, "ui-rollback-06-old-front-page");
    // The state before is kept, so the rollback can be undone.
    expect(await db.snapshot.count({ where: { siteId: site.id, kind: "PRE_ROLLBACK" } })).toBe(1);
    await context.close();
  });
});
