import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { hostUrl, label, shot, signIn, SEED_PASSWORD } from "./helpers";

// The zone editor on the seeded demo data: reseller two's first customer gets a fresh domain
// (written straight into the database), then adds, fixes, imports and exports records through
// the page. Everything it adds is removed after.
test.describe.configure({ mode: "serial" });

const resellerTwo = hostUrl("panel.reseller-two.localhost");
const accountId = "seed-reseller-two-customer-1-account";
const zone = `zone-e2e-${Date.now().toString(36)}.test`;
let client: pg.Client;
let domainId = "";

test.beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  domainId = `e2e-zone-${Date.now().toString(36)}`;
  await client.query(`INSERT INTO "Domain" (id, "accountId", name, "displayName", "updatedAt") VALUES ($1, $2, $3, $3, now())`, [domainId, accountId, zone]);
  await client.query(
    `INSERT INTO "DnsRecord" (id, "domainId", name, type, content, managed, "updatedAt") VALUES ($1, $2, '@', 'NS', 'ns1.reseller-two.test', true, now())`,
    [`${domainId}-ns`, domainId],
  );
});

test.afterAll(async () => {
  await client.query(`DELETE FROM "DnsRecord" WHERE "domainId" = $1`, [domainId]);
  await client.query(`DELETE FROM "Domain" WHERE id = $1`, [domainId]);
  await client.end();
});

test("a customer edits, imports and exports its zone; platform records are marked and not editable", async ({ page }) => {
  await signIn(page, resellerTwo, "customer1@reseller-two.localhost", SEED_PASSWORD, { expectPath: /\/dashboard$/ });
  await page.goto(`${resellerTwo}/domains/${domainId}`);
  const records = page.getByRole("table", { name: "DNS records" });
  await expect(records.getByRole("row").filter({ hasText: "ns1.reseller-two.test." })).toContainText("Platform");
  await expect(records.getByRole("row").filter({ hasText: "ns1.reseller-two.test." }).getByRole("button")).toHaveCount(0);

  // An MX pointing at an address: refused, the message beside the field.
  await page.getByRole("button", { name: "Add record" }).click();
  const form = page.getByRole("form", { name: "Add record" });
  await form.getByLabel(label("Type")).selectOption("MX");
  await form.getByLabel(label("Name")).fill("@");
  await form.getByLabel(label("Mail server")).fill("192.0.2.25");
  await form.getByRole("button", { name: "Add record" }).click();
  await expect(form.getByText("Enter a name here, not an IP address")).toBeVisible();
  await shot(page, "dns-01-field-error");
  await form.getByLabel(label("Mail server")).fill("mail.example.net");
  await form.getByRole("button", { name: "Add record" }).click();
  await expect(records.getByRole("row").filter({ hasText: "10 mail.example.net." })).toBeVisible();

  // Import: one bad line, nothing saved, the error on its line; then a good file.
  await page.getByRole("button", { name: "Import" }).click();
  const dialog = page.getByRole("dialog", { name: "Import a zone file" });
  await dialog.getByLabel(label("Zone file")).fill(`$TTL 300\nwww A 192.0.2.10\nblog CNAME www\nbad AAAA 192.0.2.1\n`);
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog.getByRole("list", { name: "Errors by line" })).toContainText("Line 4:");
  await shot(page, "dns-02-import-line-error");
  await expect(records.getByRole("row").filter({ hasText: "192.0.2.10" })).toHaveCount(0);
  await dialog.getByLabel(label("Zone file")).fill(`$TTL 300\nwww A 192.0.2.10\nblog CNAME www\n@ TXT "v=spf1 mx -all"\n`);
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog).toBeHidden();
  await expect(records.getByRole("row").filter({ hasText: `www.${zone}.` })).toBeVisible();
  await expect(records.getByRole("row").filter({ hasText: '"v=spf1 mx -all"' })).toBeVisible();

  // Edit the TXT record.
  await records.getByRole("row").filter({ hasText: '"v=spf1 mx -all"' }).getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: "Edit record" });
  await edit.getByLabel(label("Text")).fill("v=spf1 mx ~all");
  await edit.getByRole("button", { name: "Save record" }).click();
  await expect(records.getByRole("row").filter({ hasText: '"v=spf1 mx ~all"' })).toBeVisible();
  await shot(page, "dns-03-zone");

  // Export: a BIND file with $ORIGIN, the platform's NS marked, and the customer's records.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${zone}.zone`);
  const text = await readFile(await file.path(), "utf8");
  expect(text).toContain(`$ORIGIN ${zone}.`);
  expect(text).toMatch(/ns1\.reseller-two\.test\. ; platform/);
  expect(text).toMatch(/blog\s+300\s+IN CNAME www\./);

  // Delete one.
  await records.getByRole("row").filter({ hasText: `www.${zone}.` }).getByRole("button", { name: "Delete" }).click();
  await expect(records.getByRole("row").filter({ hasText: `www.${zone}.` })).toHaveCount(0);
});
