import { spawn, type ChildProcess } from "node:child_process";
import { expect, test } from "@playwright/test";
import { startCuttableTcp, type CuttableTcp } from "../helpers/cuttable-tcp";
import { shot } from "./helpers";

// The panel with its database gone: a second panel server on the e2e build, whose database
// connections pass through a forwarder this suite cuts. Pages answer the maintenance page in the
// host's brand (503, Retry-After), the API answers problem+json, and all comes back by itself.
test.describe.configure({ mode: "serial" });

const port = 3298;
const base = (host: string) => `http://${host}:${port}`;
let forwarder: CuttableTcp;
let panel: ChildProcess;

test.beforeAll(async () => {
  const url = new URL(process.env.DATABASE_URL ?? "");
  forwarder = await startCuttableTcp({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(forwarder.port);
  panel = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], {
    env: { ...process.env, DATABASE_URL: url.href, NEXT_DIST_DIR: process.env.E2E_DIST_DIR ?? ".next-test", PANEL_URL: base("localhost") },
    stdio: "ignore",
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/sign-in`).catch(() => null);
    if (res?.ok) break;
    if (Date.now() > deadline) throw new Error("the second panel did not start");
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  panel?.kill("SIGTERM");
  await forwarder?.close();
});

test("with the database down every page is the branded maintenance page, and the panel comes back by itself", async ({ page, request }) => {
  // Seen once while the database answered: the platform's host and a reseller's own host.
  await page.goto(`${base("localhost")}/sign-in`);
  await expect(page.getByRole("heading", { name: /sign in/i })).toBeVisible();
  await page.goto(`${base("panel.reseller-one.localhost")}/sign-in`);
  await expect(page).toHaveTitle(/Reseller One/);

  await forwarder.cut();
  // The guard asks the database at most once a second.
  await page.waitForTimeout(1_100);

  const platform = await page.goto(`${base("localhost")}/sign-in`);
  expect(platform?.status()).toBe(503);
  expect(platform?.headers()["retry-after"]).toBe("30");
  await expect(page.getByRole("heading", { name: "The control panel is down for maintenance" })).toBeVisible();
  await expect(page.getByText("Your websites keep running")).toBeVisible();
  await expect(page.getByText("Shoal", { exact: true })).toBeVisible();

  const reseller = await page.goto(`${base("panel.reseller-one.localhost")}/dashboard`);
  expect(reseller?.status()).toBe(503);
  await expect(page.getByText("Reseller One", { exact: true })).toBeVisible();
  await expect(page).toHaveTitle("Maintenance · Reseller One");
  expect(await page.content()).not.toMatch(/shoal/i);
  await shot(page, "maintenance-reseller");

  const api = await request.post(`${base("localhost")}/api/auth/sign-in/email`, { data: { email: "x@example.test", password: "whatever-1234" } });
  expect(api.status()).toBe(503);
  expect(api.headers()["content-type"]).toBe("application/problem+json");
  expect((await api.json()).status).toBe(503);
  const trpc = await request.get(`${base("localhost")}/api/trpc/site.list`);
  expect(trpc.status()).toBe(503);

  await forwarder.restore();
  await page.waitForTimeout(1_100);
  const back = await page.goto(`${base("panel.reseller-one.localhost")}/sign-in`);
  expect(back?.status()).toBe(200);
  await expect(page).toHaveTitle(/Reseller One/);
});
