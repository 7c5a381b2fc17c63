import { expect, test, type Locator, type Page } from "@playwright/test";
import pg from "pg";
import { hostUrl, label, platformUrl, seededSecret, shot, signIn, SEED_PASSWORD } from "./helpers";

// The panel as a new customer finds it on a phone (390×844): empty states that point at what is
// there, a new-site form that chooses nothing for the customer and starts over after a create,
// and row actions of Sites, Databases and the admin's Nodes inside the screen, with no sideways
// scrolling. A seeded customer with nothing yet (reseller one's second); this suite has no nodes,
// so what it creates stays pending, which is all the layout needs.
test.describe.configure({ mode: "serial" });

const phone = { width: 390, height: 844 };
const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const domain = `phone-${stamp}.test`;
const second = `phone-b-${stamp}.test`;
const nodeName = `e2e-phone-node-${stamp}`;

async function expectInsideScreen(page: Page, target: Locator) {
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  expect(box, "the element is laid out").not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(phone.width);
  // Nothing on the page is wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
}

let client: pg.Client;
test.beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`INSERT INTO "Node" (id, name, address, "agentPort", "updatedAt") VALUES ($1, $1, '192.0.2.77', 1, now())`, [nodeName]);
});

test.afterAll(async () => {
  await client.query(`DELETE FROM "Node" WHERE name = $1`, [nodeName]);
  await client.end();
});

test("a new customer on a phone: empty states, a form that chooses nothing, row actions on screen", async ({ browser }) => {
  // Eight page loads and four creates: more than the default minute on a loaded machine.
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const panel = hostUrl("panel.reseller-one.localhost");
  await signIn(page, panel, "customer2@reseller-one.localhost", SEED_PASSWORD);

  // No domain yet: the Sites page says to add one, and points at nothing that is not there.
  await page.goto(`${panel}/sites`);
  await expect(page.getByText("A site is served at one of your domains.")).toBeVisible();
  await expect(page.getByText("Add a domain on the Domains page first; its site is created here.")).toBeVisible();
  await expect(page.getByText("Every domain already has a site.")).toHaveCount(0);
  await expect(page.getByText("Create your first site above.")).toHaveCount(0);
  await shot(page, "phone-01-sites-empty");

  await page.goto(`${panel}/domains`);
  for (const name of [domain, second]) {
    await page.getByLabel(label("Domain name")).fill(name);
    await page.getByRole("button", { name: "Add domain" }).click();
    await expect(page.getByText(name).first()).toBeVisible();
  }

  // The form waits for a choice: nothing is pre-selected, and after a create it starts over.
  await page.goto(`${panel}/sites`);
  const domainSelect = page.getByLabel(label("Domain"));
  await expect(domainSelect).toHaveValue("");
  await expect(page.getByRole("button", { name: "Create site" })).toBeDisabled();
  await domainSelect.selectOption({ label: domain });
  await page.getByRole("radio", { name: "Plain PHP" }).check();
  await page.getByLabel(label("Document root")).fill("web");
  await page.getByRole("button", { name: "Create site" }).click();
  await expect(page.getByText("Site created")).toBeVisible();
  await expect(page.getByRole("radio", { name: "WordPress" })).toBeChecked();
  await expect(page.getByLabel(label("Document root"))).toHaveValue("public");
  await expect(domainSelect).toHaveValue("");
  const siteRow = page.getByRole("row", { name: new RegExp(domain.replace(/\./g, "\\.")) });
  await expect(siteRow).toBeVisible();
  await expectInsideScreen(page, siteRow.getByRole("button").last());
  await shot(page, "phone-02-sites-row");

  // A database's row and its Delete action.
  await page.goto(`${panel}/databases`);
  await page.getByLabel(label("Database name")).fill(`ph${stamp}`.slice(0, 12));
  await page.getByRole("button", { name: "Create database" }).click();
  const deleteDatabase = page.getByRole("button", { name: /^Delete .*ph/ });
  await expect(deleteDatabase).toBeVisible();
  await expectInsideScreen(page, deleteDatabase);
  await shot(page, "phone-03-databases-row");

  // Recent activity names what each entry is about.
  await page.goto(`${panel}/dashboard`);
  await expect(page.getByRole("listitem").filter({ hasText: "Creating site" }).filter({ hasText: `· ${domain}` })).toBeVisible();
  await context.close();
});

test("the admin's Nodes page on a phone keeps a node's actions on screen", async ({ browser }) => {
  const context = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, platformUrl, "admin@shoal.localhost", SEED_PASSWORD, { totpSecret: seededSecret("admin@shoal.localhost") });
  await page.goto(`${platformUrl}/admin/nodes`);
  const edit = page.getByRole("button", { name: `Edit ${nodeName}` });
  const remove = page.getByRole("button", { name: `Remove ${nodeName}` });
  await expect(edit).toBeVisible();
  await expectInsideScreen(page, edit);
  await expectInsideScreen(page, remove);
  await shot(page, "phone-04-admin-nodes");
  await context.close();
});
