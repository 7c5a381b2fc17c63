import { expect, test } from "@playwright/test";
import { hostUrl, platformUrl, signIn, SEED_PASSWORD } from "./helpers";

// A customer makes an API token in the panel, sees its secret once, uses it on the REST API within
// its scopes, and revokes it; the next call is refused.

const resellerTwo = hostUrl("panel.reseller-two.localhost");

test("create a scoped token, see it once, use it, revoke it", async ({ page }) => {
  await signIn(page, resellerTwo, "customer1@reseller-two.localhost", SEED_PASSWORD, { expectPath: /\/dashboard$/ });
  await page.goto(`${resellerTwo}/api-tokens`);
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  const name = `e2e token ${Date.now()}`;
  await page.getByLabel(/^Name/).fill(name);
  await page.getByLabel("sites access").selectOption("read");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toHaveText(/^pat_[a-z0-9]{12}_/);
  const token = (await shown.textContent())!.trim();
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText("sites:read");
  await expect(row).toContainText(`pat_${token.slice(4, 16)}_`);

  // The API answers on any host (a token is not tied to a brand); Node resolves only plain localhost.
  const api = `${platformUrl}/api/v1`;
  const auth = { authorization: `Bearer ${token}` };
  expect((await page.request.get(`${api}/sites`, { headers: auth })).status()).toBe(200);
  expect((await page.request.get(`${api}/domains`, { headers: auth })).status()).toBe(403);

  // Shown once: after a reload only the prefix is left.
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);

  await page.getByRole("button", { name: `Revoke ${name}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText("Revoked");
  expect((await page.request.get(`${api}/sites`, { headers: auth })).status()).toBe(401);
});

test("the API reference is served offline under the reseller's brand", async ({ page }) => {
  const external: string[] = [];
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(resellerTwo) && !url.startsWith(`blob:${resellerTwo}`) && !url.startsWith("data:")) external.push(url);
  });
  await page.goto(`${resellerTwo}/api/docs`);
  await expect(page.getByText("Shoal API").first()).toBeVisible({ timeout: 20_000 });
  await expect(page).toHaveTitle(/API reference/);
  expect(external).toEqual([]);
});
