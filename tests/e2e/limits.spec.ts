import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import pg from "pg";
import { hostUrl, label, platformUrl, seededSecret, shot, signIn, SEED_PASSWORD } from "./helpers";

// Plan limits from the admin's bound to the reseller's form and the customer's dashboard, on the
// seeded demo data (reseller two and its first customer). What a node would report is written
// straight into the database: this suite has no nodes. Everything it changes is put back after.
test.describe.configure({ mode: "serial" });

const resellerTwo = hostUrl("panel.reseller-two.localhost");
const accountId = "seed-reseller-two-customer-1-account";
const nodeName = "e2e-limits-node";
const MiB = 1024 * 1024;

let client: pg.Client;
let savedSettings: Record<string, unknown> | null = null;
const contexts: BrowserContext[] = [];
async function personPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

test.beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  savedSettings = (await client.query(`SELECT * FROM "PlatformSettings" WHERE id = 1`)).rows[0] ?? null;
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
  await client.query(`DELETE FROM "Node" WHERE name = $1`, [nodeName]);
  if (savedSettings) {
    await client.query(
      `UPDATE "PlatformSettings" SET "maxMemoryMb" = $1, "egressAllow" = $2 WHERE id = 1`,
      [savedSettings.maxMemoryMb, JSON.stringify(savedSettings.egressAllow)],
    );
  }
  await client.end();
});

test("the admin lowers the memory bound, and the reseller's plan edit past it gets the error on the field", async ({ browser }) => {
  const admin = await personPage(browser);
  await signIn(admin, platformUrl, "admin@shoal.localhost", SEED_PASSWORD, { totpSecret: seededSecret("admin@shoal.localhost") });
  await admin.getByRole("link", { name: "Limits" }).click();
  await expect(admin).toHaveURL(/\/admin\/settings$/);
  const memory = admin.getByLabel(label("Most memory per server (MB)"));
  await expect(memory).toHaveValue(/\d+/);
  await memory.fill("1024");
  // A malformed destination is refused next to its own box, and nothing is saved.
  await admin.getByRole("button", { name: "Add destination" }).click();
  const address = admin.getByLabel("Address or block");
  await address.fill("10.0.0.0/33");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(address).toHaveAttribute("aria-invalid", "true");
  await expect(address).toHaveAccessibleDescription(/Must be an IPv4 address or CIDR block/);
  await shot(admin, "limits-01-admin-egress-error");
  await address.fill("10.0.5.0/24");
  await admin.getByLabel("Port").fill("443");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await expect(admin.getByText("Settings saved")).toBeVisible();
  await admin.reload();
  await expect(admin.getByLabel(label("Most memory per server (MB)"))).toHaveValue("1024");
  await expect(admin.getByLabel("Address or block")).toHaveValue("10.0.5.0/24");
  await shot(admin, "limits-02-admin-settings");

  const reseller = await personPage(browser);
  await signIn(reseller, resellerTwo, "owner@reseller-two.localhost", SEED_PASSWORD, { totpSecret: seededSecret("owner@reseller-two.localhost") });
  await reseller.getByRole("link", { name: "Plans" }).click();
  await reseller.getByRole("button", { name: "Edit Standard" }).click();
  const dialog = reseller.getByRole("dialog", { name: "Edit Standard" });
  const planMemory = dialog.getByLabel(label("Memory per server (MB)"));
  // The hint already says what the platform allows.
  await expect(planMemory).toHaveAccessibleDescription(/64 to 1,024 \(the platform's limit\)/);
  await planMemory.fill("2048");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(planMemory).toHaveAttribute("aria-invalid", "true");
  await expect(planMemory).toHaveAccessibleDescription(/Must be at most 1,024 \(the platform's limit\)\./);
  await shot(reseller, "limits-03-reseller-plan-memory-over-bound");
  // The plan says, as typed, what its customers are promised if a server fails.
  const recovery = dialog.getByTestId("recovery-preview");
  await expect(recovery).toContainText("Changes made in the last 1 minute before a failure");
  await dialog.getByLabel(label("Copies of each site")).fill("1");
  await expect(recovery).toContainText("kept on one server only: if that server fails, they are offline until it is back");
  // Nothing was saved: the plan still has its memory.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await reseller.getByRole("button", { name: "Edit Standard" }).click();
  await expect(reseller.getByRole("dialog", { name: "Edit Standard" }).getByLabel(label("Memory per server (MB)"))).toHaveValue("512");
});

test("the customer's dashboard shows its limits and says when it is at its disk limit", async ({ browser }) => {
  const node = await client.query(
    `INSERT INTO "Node" (id, name, address, status, "updatedAt") VALUES ($1, $1, '127.0.41.60', 'HEALTHY', now()) RETURNING id`,
    [nodeName],
  );
  await client.query(
    `INSERT INTO "AccountNodeUsage" ("accountId", "nodeId", "diskBytes", "diskLimitBytes", "atDiskLimit", "memoryBytes", "memoryLimitBytes",
       "memoryLimitHits", "oomKills", "cpuThrottledPeriods", "cpuThrottledUsec", pids, "pidsLimit", "pidsLimitHits", "measuredAt")
     VALUES ($1, $2, $3, $3, true, $4, $5, 2, 0, 340, 12500000, 14, 128, 0, now())`,
    [accountId, node.rows[0].id, 20_000 * MiB, 180 * MiB, 512 * MiB],
  );
  const page = await personPage(browser);
  await signIn(page, resellerTwo, "customer1@reseller-two.localhost", SEED_PASSWORD, { expectPath: /\/dashboard$/ });
  await expect(page.getByRole("alert").filter({ hasText: "at its disk limit: uploads and new files fail" })).toBeVisible();
  const card = page.getByTestId("limits-card");
  await expect(card.getByRole("progressbar", { name: "Memory: 180 MB of 512 MB" })).toBeVisible();
  await expect(card.getByRole("progressbar", { name: "Processes: 14 of 128" })).toBeVisible();
  await expect(card).toContainText("340 times, 12.5 s in all");
  await expect(card.getByTestId("recovery-point")).toContainText("they start again on another server within seconds");
  await expect(card.getByTestId("recovery-point")).toContainText("Changes made in the last 1 minute before a failure (new files, database writes) may be lost");
  await card.scrollIntoViewIfNeeded();
  await shot(page, "limits-04-customer-dashboard-limits");
  await card.screenshot({ path: "var/test-results/screenshots/limits-05-customer-limits-card.png" });
});
