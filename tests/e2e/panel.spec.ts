import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import {
  axe,
  hostUrl,
  label,
  platformUrl,
  rawSecretFromShownKey,
  seededSecret,
  shot,
  signIn,
  solidPng,
  totpFor,
  visibleText,
  type AxeFinding,
} from "./helpers";

// One story, told in order: each test picks up what the previous one built. Names carry a per-run
// stamp so a database that already ran the suite (or the seed) never collides with this run.
test.describe.configure({ mode: "serial" });

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const panelHost = `panel.e2e-${stamp}.localhost`;
const panel = hostUrl(panelHost);
const reseller = {
  name: `E2E Reseller ${stamp}`,
  email: `owner@e2e-${stamp}.localhost`,
  password: `e2e-reseller-pw-${stamp}`,
  brand: `Kelpworks ${stamp}`,
};
const customerA = { name: `Alder Customer ${stamp}`, email: `alder@e2e-${stamp}.localhost`, password: `e2e-alder-pw-${stamp}` };
const customerB = { name: `Birch Customer ${stamp}`, email: `birch@e2e-${stamp}.localhost`, password: `e2e-birch-pw-${stamp}` };
const planName = `Starter ${stamp}`;
const foreignBrands = ["Reseller One", "Reseller Two", "Shoal"];

let resellerTotpSecret = "";
let customerAId = "";
let birchDomainId = "";
const axeFindings: AxeFinding[] = [];

// Each person keeps their own browser context (cookies are per host anyway), so nobody has to sign
// out and no TOTP code is replayed within its 30-second window.
const contexts: BrowserContext[] = [];
async function personPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}
let adminPage: Page;
let resellerPage: Page;

test.beforeAll(async ({ browser }) => {
  adminPage = await personPage(browser);
  resellerPage = await personPage(browser);
});

test.afterAll(async () => {
  // Findings below "serious" do not fail the run; they are listed for whoever reads the log.
  const minor = axeFindings.filter((f) => f.impact !== "serious" && f.impact !== "critical");
  console.log(`axe findings below serious: ${minor.length}`);
  for (const f of minor) console.log(`  ${f.page}: ${f.id} (${f.impact}) ${f.help}\n    ${f.nodes.join("\n    ")}`);
  for (const context of contexts) await context.close();
});

async function expectNoSeriousAxe(page: Page, name: string) {
  // A list re-reading its rows dims them (aria-busy, opacity 60%): judge the page as it settles,
  // not a frame of the fade (one run saw 3.3:1 on a dimmed row that reads 7:1 once loaded).
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
  const findings = await axe(page, name);
  axeFindings.push(...findings);
  expect.soft(findings.filter((f) => f.impact === "serious" || f.impact === "critical"), `axe on ${name}`).toEqual([]);
}

async function expectOnlyOwnBrand(page: Page) {
  // With a logo the name is the logo's text alternative; the title carries it too.
  await expect(page.getByRole("img", { name: reseller.brand, exact: true }).first()).toBeVisible();
  await expect(page).toHaveTitle(new RegExp(`${reseller.brand}$`));
  const text = await visibleText(page);
  for (const other of foreignBrands) expect(text, `"${other}" leaks onto ${page.url()}`).not.toContain(other);
}

test("01 admin creates a reseller with its own panel host and first login", async () => {
  const page = adminPage;
  await signIn(page, platformUrl, "admin@shoal.localhost", "demo-password-1", {
    totpSecret: seededSecret("admin@shoal.localhost"),
    expectPath: /\/admin\/resellers$/,
  });
  await expect(page.getByRole("heading", { name: "Resellers", level: 1 })).toBeVisible();
  await expectNoSeriousAxe(page, "admin resellers");

  await page.getByRole("button", { name: "New reseller" }).click();
  const dialog = page.getByRole("dialog", { name: "New reseller" });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel(label("Name")).fill(reseller.name);
  await dialog.getByLabel("Panel hostnames").fill(panelHost);
  await dialog.getByLabel(label("Email")).fill(reseller.email);
  await dialog.getByLabel("Person's name").fill(`${reseller.name} Owner`);
  await dialog.getByLabel("Password").fill(reseller.password);
  await shot(page, "01-admin-new-reseller");
  await dialog.getByRole("button", { name: "Create" }).click();

  await expect(page).toHaveURL(/\/admin\/resellers\/[^/]+$/);
  await expect(page.getByRole("heading", { name: reseller.name, level: 1 })).toBeVisible();
  await expect(page.getByText(panelHost).first()).toBeVisible();
  await shot(page, "02-admin-reseller-detail");
});

test("02 the reseller sets up 2FA on its own host, brands its panel, adds a plan and customers", async () => {
  const page = resellerPage;
  // Without a second factor yet, signing in lands on the mandatory set-up.
  await signIn(page, panel, reseller.email, reseller.password, { expectPath: /\/two-factor\/setup$/ });
  await page.getByLabel("Confirm your password").fill(reseller.password);
  await page.getByRole("button", { name: "Continue" }).click();
  const key = page.locator("code");
  await expect(key).toHaveText(/^[A-Z2-7]{16,}$/);
  resellerTotpSecret = rawSecretFromShownKey((await key.textContent()) ?? "");
  await shot(page, "03-reseller-2fa-scan");
  await page.getByLabel("Code from the app").fill(await totpFor(resellerTotpSecret));
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" });
  await expect(codes).toBeVisible();
  expect(await codes.getByRole("listitem").count()).toBeGreaterThanOrEqual(5);
  await shot(page, "04-reseller-recovery-codes");
  await page.getByRole("button", { name: "I have saved my codes" }).click();
  await expect(page).toHaveURL(`${panel}/reseller/customers`);

  // Brand: name, colours, logo.
  await page.getByRole("link", { name: "Brand" }).click();
  await expect(page).toHaveURL(/\/reseller\/brand$/);
  const brandName = page.getByLabel("Brand name");
  await expect(brandName).toBeVisible();
  await brandName.fill(reseller.brand);
  await page.getByLabel(label("Primary colour")).fill("#0b5d3b");
  await page.getByLabel(label("Accent colour")).fill("#8a3ffc");
  // A reseller made by an admin starts without nameservers (the platform's are used); this one sets its own.
  await page.getByLabel("Nameservers").fill(`ns1.e2e-${stamp}.test\nns2.e2e-${stamp}.test`);
  await page.getByRole("button", { name: "Save brand" }).click();
  await expect(page.getByText("Brand saved")).toBeVisible();
  await page.getByLabel("Upload a logo").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: solidPng(64, 64, [11, 93, 59]) });
  await expect(page.getByText("Logo uploaded")).toBeVisible();
  await expect(page.getByRole("img", { name: `${reseller.brand} logo` }).first()).toBeVisible();
  await expect(page.getByLabel("Brand name")).toHaveValue(reseller.brand);
  await expectNoSeriousAxe(page, "reseller brand");
  await shot(page, "05-reseller-brand");

  // A plan, so customers can be created.
  await page.getByRole("link", { name: "Plans" }).click();
  await page.getByRole("button", { name: "New plan" }).first().click();
  const planDialog = page.getByRole("dialog", { name: "New plan" });
  await planDialog.getByLabel(label("Name")).fill(planName);
  await planDialog.getByRole("button", { name: "Create plan" }).click();
  await expect(planDialog).toBeHidden();
  await expect(page.getByRole("cell", { name: planName, exact: true })).toBeVisible();

  for (const c of [customerA, customerB]) {
    await page.getByRole("link", { name: "Customers" }).first().click();
    await expect(page).toHaveURL(/\/reseller\/customers$/);
    await page.getByRole("link", { name: "New customer" }).first().click();
    await page.getByLabel(label("Name")).fill(c.name);
    await page.getByLabel("Contact email").fill(c.email);
    const planOption = page.getByLabel("Plan").locator("option", { hasText: planName });
    await expect(planOption).toBeAttached();
    await page.getByLabel("Plan").selectOption((await planOption.getAttribute("value")));
    await page.getByLabel("Password").fill(c.password);
    if (c === customerA) await shot(page, "06-reseller-new-customer");
    await page.getByRole("button", { name: "Create customer" }).click();
    await expect(page).toHaveURL(/\/reseller\/customers\/[^/]+$/);
    await expect(page.getByRole("heading", { name: c.name, level: 1 })).toBeVisible();
    if (c === customerA) customerAId = page.url().split("/").pop()!;
  }

  await page.getByRole("link", { name: "Customers" }).first().click();
  await expect(page.getByRole("link", { name: customerA.name })).toBeVisible();
  await expectNoSeriousAxe(page, "reseller customers");
  await shot(page, "07-reseller-customers");
});

test("03 the customer sees only its reseller's brand and gets field errors for bad domain names", async ({ browser }) => {
  const page = await personPage(browser);
  await page.goto(`${panel}/sign-in`);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expectOnlyOwnBrand(page);
  await expectNoSeriousAxe(page, "sign-in");
  await shot(page, "08-customer-sign-in-branded");

  await signIn(page, panel, customerA.email, customerA.password, { expectPath: /\/dashboard$/ });
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectOnlyOwnBrand(page);
  await expectNoSeriousAxe(page, "customer dashboard");
  await shot(page, "09-customer-dashboard");

  await page.getByRole("link", { name: "Domains" }).first().click();
  await expect(page).toHaveURL(/\/domains$/);
  const domainField = page.getByLabel("Domain name");
  const goodDomain = `alder-${stamp}.example`;
  await domainField.fill(goodDomain);
  await page.getByRole("button", { name: "Add domain" }).click();
  await expect(page.getByRole("link", { name: goodDomain })).toBeVisible();
  await expect(domainField).toHaveValue("");

  const bad: Array<[string, RegExp]> = [
    ["-bad.example", /must not start with a hyphen/i],
    ["exa mple.com", /must not contain spaces/i],
    ["127.0.0.1", /IP addresses are not allowed/i],
  ];
  for (const [name, message] of bad) {
    await domainField.fill(name);
    await page.getByRole("button", { name: "Add domain" }).click();
    await expect(domainField).toHaveAttribute("aria-invalid", "true");
    // The message is the field's own description, so it sits next to it for screen readers too.
    await expect(domainField).toHaveAccessibleDescription(message);
    if (name === "-bad.example") await shot(page, "10-customer-bad-domain");
  }
  // Only the good domain made it in.
  await page.reload();
  await expect(page.getByRole("link", { name: goodDomain })).toBeVisible();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expectOnlyOwnBrand(page);
  await expectNoSeriousAxe(page, "customer domains");
  await shot(page, "11-customer-domains");
});

test("04 the reseller logs in as its customer and returns to its own panel", async () => {
  const page = resellerPage;
  await page.goto(`${panel}/reseller/customers/${customerAId}`);
  await expect(page.getByRole("heading", { name: customerA.name, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Log in as" }).click();
  await expect(page).toHaveURL(`${panel}/dashboard`);
  const banner = page.getByRole("region", { name: "Impersonation" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(customerA.name);
  await expect(page.getByRole("heading", { name: "Usage" })).toBeVisible();
  await shot(page, "12-impersonation-banner");

  await banner.getByRole("button", { name: "Return to my account" }).click();
  await expect(page).toHaveURL(new RegExp(`^${panel.replace(/\./g, "\\.")}/reseller/`));
  await expect(page.getByRole("region", { name: "Impersonation" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Brand" })).toBeVisible();
  await shot(page, "13-impersonation-returned");
});

test("05 a customer opening another customer's domain by URL gets the not-found page", async ({ browser }) => {
  const birch = await personPage(browser);
  await signIn(birch, panel, customerB.email, customerB.password, { expectPath: /\/dashboard$/ });
  await birch.getByRole("link", { name: "Domains" }).first().click();
  const birchDomain = `birch-${stamp}.example`;
  await birch.getByLabel("Domain name").fill(birchDomain);
  await birch.getByRole("button", { name: "Add domain" }).click();
  await birch.getByRole("link", { name: birchDomain }).click();
  await expect(birch).toHaveURL(/\/domains\/[^/]+$/);
  await expect(birch.getByRole("heading", { name: birchDomain, level: 1 })).toBeVisible();
  birchDomainId = birch.url().split("/").pop()!;

  const alder = await personPage(browser);
  await signIn(alder, panel, customerA.email, customerA.password, { expectPath: /\/dashboard$/ });
  // The domain page loads its data in the browser and calls notFound() on the NOT_FOUND answer,
  // so the HTTP status is 200; what the person sees is the not-found page.
  await alder.goto(`${panel}/domains/${birchDomainId}`);
  await expect(alder.getByRole("heading", { name: "Page not found" })).toBeVisible();
  expect(await visibleText(alder)).not.toContain(birchDomain);
  await shot(alder, "14-foreign-domain-not-found");
});

test("06 the dark mode toggle switches the page to dark and keeps it after a reload", async () => {
  const page = adminPage;
  await page.goto(`${platformUrl}/admin/resellers`);
  const html = page.locator("html");
  // system → light → dark; the emulated OS is light, so "system" renders light.
  await page.getByRole("button", { name: /change theme/ }).click();
  await expect(page.getByRole("button", { name: "Light theme (change theme)" })).toBeVisible();
  await expect(html).not.toHaveClass(/\bdark\b/);
  const lightBackground = await page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  await page.getByRole("button", { name: /change theme/ }).click();
  await expect(page.getByRole("button", { name: "Dark theme (change theme)" })).toBeVisible();
  await expect(html).toHaveClass(/\bdark\b/);
  const background = await page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  expect(background).not.toBe(lightBackground);
  await page.reload();
  await expect(html).toHaveClass(/\bdark\b/);
  expect(await page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor)).toBe(background);
  await expectNoSeriousAxe(page, "admin resellers (dark)");
  await shot(page, "15-admin-resellers-dark");
});

test("07 the admin opens the live cluster map from the nav and its feed connects", async () => {
  const page = adminPage;
  await page.goto(`${platformUrl}/admin/resellers`);
  await page.getByRole("link", { name: "Cluster" }).click();
  await expect(page).toHaveURL(/\/admin\/cluster$/);
  await expect(page.getByRole("heading", { name: "Cluster", level: 1 })).toBeVisible();
  // "Live" only shows once a map event arrived over the server-sent events route.
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  await expect(page.getByRole("definition").filter({ hasText: "Paused (requests held)" })).toBeVisible();
  // The seeded demo database has no nodes; a database with some shows their cards instead.
  await expect(page.getByRole("list", { name: "Nodes" }).or(page.getByText("No nodes yet"))).toBeVisible();
  await expectNoSeriousAxe(page, "admin cluster map");
  await shot(page, "16-admin-cluster-map");
});
