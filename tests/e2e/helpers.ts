import { deflateSync, crc32 } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import { base32 } from "@better-auth/utils/base32";
import { createOTP } from "@better-auth/utils/otp";
import { expect, type Page } from "@playwright/test";
import { seedTotpSecrets } from "../../prisma/seed-totp-secrets";

export const port = Number(process.env.E2E_PORT ?? 3200);
export const platformUrl = `http://localhost:${port}`;
export const hostUrl = (hostname: string) => `http://${hostname}:${port}`;
export const SEED_PASSWORD = "demo-password-1";

/** The current code for a raw TOTP secret (as stored; the same call as scripts/totp.ts). */
export function totpFor(secret: string): Promise<string> {
  return createOTP(secret).totp();
}

/** The set-up page shows the key base32-encoded, as an authenticator app takes it. */
export function rawSecretFromShownKey(shown: string): string {
  return new TextDecoder().decode(base32.decode(shown.replace(/\s+/g, "")));
}

/**
 * Matches a field's label exactly, allowing the "*" a required field's label ends with (it is
 * aria-hidden, but Playwright's label matching reads the label's text).
 */
export function label(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\*?$`);
}

export function seededSecret(email: string): string {
  const secret = seedTotpSecrets[email];
  if (!secret) throw new Error(`${email} has no seeded TOTP secret`);
  return secret;
}

/**
 * Signs in on `baseUrl`, answering the TOTP challenge when one comes, and waits until the browser
 * has left the auth pages (or reached `expectPath`).
 */
export async function signIn(page: Page, baseUrl: string, email: string, password: string, opts: { totpSecret?: string; expectPath?: RegExp } = {}) {
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel(label("Password")).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  if (opts.totpSecret) {
    await expect(page).toHaveURL(/\/sign-in\/two-factor/);
    await page.getByLabel(label("Code")).fill(await totpFor(opts.totpSecret));
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await expect(page).toHaveURL(opts.expectPath ?? /^(?!.*\/sign-in).*$/);
}

export async function shot(page: Page, name: string) {
  // From the top: a full-page capture of a scrolled page stitches sticky headers into the middle.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `var/test-results/screenshots/${name}.png`, fullPage: true });
}

/** A tiny valid RGB PNG of one colour, so the logo upload needs no fixture file. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export type AxeFinding = { page: string; id: string; impact: string; help: string; nodes: string[] };

/** Runs axe (WCAG 2.x A/AA) and returns every violation; the caller fails on the serious ones. */
export async function axe(page: Page, name: string): Promise<AxeFinding[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return result.violations.map((v) => ({ page: name, id: v.id, impact: v.impact ?? "unknown", help: v.help, nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary ?? ""}`) }));
}

/** All text a person can see on the page, plus the title, for the "no other brand leaks" checks. */
export async function visibleText(page: Page): Promise<string> {
  return `${await page.title()}\n${await page.locator("body").innerText()}`;
}
