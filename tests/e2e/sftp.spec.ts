import { expect, test } from "@playwright/test";
import pg from "pg";
import ssh2 from "ssh2";
import { hostUrl, label, shot, signIn, SEED_PASSWORD } from "./helpers";

// The customer's SFTP page on the seeded demo data (reseller two's second customer): adding a key
// shows its SHA256 fingerprint in the list, a malformed key gets its error next to the field and
// adds nothing. The keys it adds are removed after.
test.describe.configure({ mode: "serial" });

const panel = hostUrl("panel.reseller-two.localhost");
const email = "customer2@reseller-two.localhost";
const { utils } = ssh2;
let client: pg.Client;

test.beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
});

test.afterAll(async () => {
  await client.query(`DELETE FROM "SftpKey" WHERE name = 'e2e laptop'`);
  await client.end();
});

test("adding a key shows its fingerprint; a bad key shows the error next to the field", async ({ page }) => {
  await signIn(page, panel, email, SEED_PASSWORD, { expectPath: /\/dashboard$/ });
  await page.getByRole("link", { name: "SFTP" }).click();
  await expect(page).toHaveURL(/\/sftp$/);
  await expect(page.getByRole("heading", { name: "SFTP" })).toBeVisible();

  const keyField = page.getByLabel(label("Public key"));
  await keyField.fill("ssh-ed25519 not-a-key");
  await page.getByRole("button", { name: "Add key" }).click();
  await expect(keyField).toHaveAttribute("aria-invalid", "true");
  await expect(keyField).toHaveAccessibleDescription(/base64/);
  await expect(page.getByRole("list", { name: "SSH keys" })).toHaveCount(0);
  await shot(page, "sftp-01-bad-key");

  // ssh2's generator sometimes writes a malformed key (a leading zero byte dropped): draw again.
  let publicKey = utils.generateKeyPairSync("ed25519").public;
  while (utils.parseKey(publicKey) instanceof Error) publicKey = utils.generateKeyPairSync("ed25519").public;
  const parsed = utils.parseKey(publicKey);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error("the test's key does not parse");
  const { createHash } = await import("node:crypto");
  const fingerprint = `SHA256:${createHash("sha256").update(parsed.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
  await keyField.fill(publicKey);
  await page.getByLabel(label("Label")).fill("e2e laptop");
  await page.getByRole("button", { name: "Add key" }).click();
  const list = page.getByRole("list", { name: "SSH keys" });
  await expect(list).toContainText("e2e laptop");
  await expect(list).toContainText(fingerprint);
  await expect(keyField).toHaveValue("");
  await shot(page, "sftp-02-key-added");
});
