import { mkdir } from "node:fs/promises";
import path from "node:path";
import { expect, type Browser, type Page } from "@playwright/test";
import { afterAll, beforeAll, describe, it } from "vitest";
import { db } from "../../server/db";
import { label, seededSecret, SEED_PASSWORD, signIn } from "../e2e/helpers";
import { startCluster, type Cluster } from "./harness";
import { startPanelBrowser, type PanelBrowser } from "./panel-browser";

// The panel in Chromium on a real three-node cluster: a customer installs WordPress by clicking,
// watches the steps, opens the site and logs in to wp-admin with the password the panel shows
// once; the admin's node page shows three healthy nodes. The panel is the production build the
// e2e tier made (.next-test; built here if missing), run against this file's database.
// Chromium resolves *.test to node 1 (127.0.2.1), whose front door forwards to the live node.

const root = path.resolve(import.meta.dirname, "../..");
const PORT = 3210;
const panelHost = (host: string) => `http://${host}:${PORT}`;
const shots = path.join(root, "var/test-results/screenshots");
let cluster: Cluster;
let panelBrowser: PanelBrowser | undefined;
let browser: Browser;

async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, workers: 1, seed: false });
  await mkdir(shots, { recursive: true });
  panelBrowser = await startPanelBrowser(cluster, { port: PORT });
  browser = panelBrowser.browser;
  await cluster.waitFor("three healthy nodes", async () => (await db.node.count({ where: { status: "HEALTHY" } })) === 3);
}, 400_000);

afterAll(async () => {
  await panelBrowser?.stop();
  await cluster?.stop();
});

describe("the panel on a live cluster, in Chromium", () => {
  it("a customer installs WordPress, watches its steps, opens the site and logs in to wp-admin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const panelUrl = panelHost("panel.reseller-one.localhost");
    await signIn(page, panelUrl, "customer1@reseller-one.localhost", SEED_PASSWORD);

    await page.goto(`${panelUrl}/domains`);
    await page.getByLabel(label("Domain name")).fill("my-first-blog.test");
    await page.getByRole("button", { name: "Add domain" }).click();
    await expect(page.getByText("my-first-blog.test").first()).toBeVisible();

    await page.goto(`${panelUrl}/sites`);
    await page.getByLabel(label("Domain")).selectOption({ label: "my-first-blog.test" });
    await page.getByRole("radio", { name: "WordPress" }).check();
    await page.getByRole("button", { name: "Create site" }).click();
    // The steps show while the cluster works: the progress bar is there before the site is live.
    await expect(page.getByRole("progressbar").first()).toBeVisible();
    await shot(page, "cluster-01-wordpress-installing");
    const reveal = page.getByRole("button", { name: "Show admin login for WordPress on my-first-blog.test" });
    await expect(reveal).toBeVisible({ timeout: 90_000 });
    await expect(page.getByRole("link", { name: /Open site my-first-blog\.test/ })).toBeVisible();
    await shot(page, "cluster-02-wordpress-live");

    await reveal.click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByText("This password is shown only this once.")).toBeVisible();
    const username = await dialog.getByLabel("Username", { exact: true }).inputValue();
    const password = await dialog.getByLabel("Password", { exact: true }).inputValue();
    expect(username).toBe("admin");
    expect(password.length).toBeGreaterThanOrEqual(16);
    await shot(page, "cluster-03-admin-login-once");
    await dialog.getByRole("button", { name: "I have saved the password" }).click();
    await expect(page.getByText(/Admin login shown on/)).toBeVisible();

    // The site itself, through the edge, then wp-admin.
    const site = await context.newPage();
    await site.goto("http://my-first-blog.test/");
    await expect(site).toHaveTitle(/my-first-blog\.test/);
    await shot(site, "cluster-04-wordpress-front-page");
    await site.goto("http://my-first-blog.test/wp-login.php");
    await site.locator("#user_login").fill(username);
    await site.locator("#user_pass").fill(password);
    await site.locator("#wp-submit").click();
    await expect(site).toHaveURL(/\/wp-admin\/?$/, { timeout: 30_000 });
    await expect(site.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await shot(site, "cluster-05-wp-admin");

    // Roll back: the first snapshot is taken within seconds of the site going live; then the
    // customer renames the blog in wp-admin and rolls the site back to before that in the panel.
    const siteRow = await db.site.findFirstOrThrow({ where: { domain: { name: "my-first-blog.test" } } });
    await cluster.waitFor("the site's first snapshot", async () => (await db.snapshot.count({ where: { siteId: siteRow.id } })) > 0);
    await site.goto("http://my-first-blog.test/wp-admin/options-general.php");
    await site.locator("#blogname").fill("Renamed by mistake");
    await site.locator("#submit").click();
    await expect(site.getByText("Settings saved.")).toBeVisible();
    await site.goto("http://my-first-blog.test/");
    await expect(site).toHaveTitle(/Renamed by mistake/);

    await page.getByRole("button", { name: "Snapshots of my-first-blog.test" }).click();
    const timeline = page.getByRole("dialog", { name: "Roll back my-first-blog.test" });
    await expect(timeline.getByText("Scheduled").first()).toBeVisible();
    await shot(page, "cluster-07-snapshot-timeline");
    // The oldest entry is the first snapshot, taken before the rename.
    await timeline.getByRole("button", { name: /^Roll back to / }).last().click();
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    await expect(page.getByText("Rolling back my-first-blog.test").first()).toBeVisible();
    await cluster.waitFor("the rollback to finish", async () => {
      const op = await db.operation.findFirst({ where: { targetId: siteRow.id, kind: "site.rollback" }, orderBy: { createdAt: "desc" } });
      if (op?.status === "FAILED") throw new Error(`the rollback failed: ${op.lastError}`);
      return op?.status === "SUCCEEDED";
    }, { timeoutMs: 60_000 });
    await expect(page.getByRole("link", { name: /Open site my-first-blog\.test/ })).toBeVisible({ timeout: 60_000 });
    await site.goto("http://my-first-blog.test/");
    await expect(site).toHaveTitle(/my-first-blog\.test/);
    await expect(site).not.toHaveTitle(/Renamed by mistake/);
    await shot(site, "cluster-08-after-rollback");

    // A database created on the Databases page turns Ready by itself: the list follows its
    // operation as the Sites list does, with no reload.
    await page.goto(`${panelUrl}/databases`);
    await page.getByLabel(label("Database name")).fill("notes");
    await page.getByRole("button", { name: "Create database" }).click();
    const notesRow = page.getByRole("row", { name: /_notes/ });
    await expect(notesRow).toBeVisible();
    await expect(notesRow.getByText("Ready")).toBeVisible({ timeout: 60_000 });
    await shot(page, "cluster-09-database-ready");
    // Recent activity names each entry's site or database, in the customer's words.
    await page.goto(`${panelUrl}/dashboard`);
    await expect(page.getByRole("listitem").filter({ hasText: "Rolling back" }).filter({ hasText: "· my-first-blog.test" })).toBeVisible();
    await page.getByText(/\d+ of \d+ steps/).first().click();
    await expect(page.getByText("vhost + php-fpm pool")).toHaveCount(0);
    await context.close();
  });

  it("the admin's node page shows three healthy nodes with live load", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = panelHost("localhost");
    await signIn(page, url, "admin@shoal.localhost", SEED_PASSWORD, { totpSecret: seededSecret("admin@shoal.localhost") });
    await page.goto(`${url}/admin/nodes`);
    await expect(page.getByText(/3 nodes · 3 healthy/)).toBeVisible({ timeout: 15_000 });
    for (const name of ["node-1", "node-2", "node-3"]) await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText(/healthy/i);
    await shot(page, "cluster-06-admin-nodes");
    await context.close();
  });
});
