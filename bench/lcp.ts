// Largest contentful paint of the customer dashboard and the reseller customer list in Chromium,
// against the panel built and served from the seeded shoal_bench database (bench/seed-scale.ts).
//
//   npx tsx bench/lcp.ts            (LOADS=10; SKIP_BUILD=1 reuses .next-bench)
//
// Builds the panel into .next-bench (compile, then generate), starts `next start` on 127.0.0.1:3106, signs in through the
// real sign-in page (password, then a TOTP code from the demo seed's fixed secret), loads each page
// LOADS times (the first is a warm-up and is discarded) and reads the LCP entry once the page and
// its data requests have settled. The server is always stopped at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { chromium, type Page } from "playwright-core";
import { BENCH_AUTH_SECRET, benchDatabaseUrl } from "./bench-env";
import { findDemoRows } from "./demo-rows";
import { createOTP } from "@better-auth/utils/otp";
import { seedTotpSecrets } from "../prisma/seed-totp-secrets";

const PORT = 3106;
const ORIGIN = `http://localhost:${PORT}`;
const DIST_DIR = ".next-bench";
const TARGET_MS = 1000;
const LOADS = Number(process.env.LOADS ?? 10);
const BUILD_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 60_000;
/** Everything after the build: sign-ins, every page load, with room to spare. */
const MEASURE_TIMEOUT_MS = 5 * 60_000;

/** Every demo login's password (prisma/seed.ts; not exported, as importing the seed runs it). */
const DEMO_PASSWORD = "demo-password-1";

const serverEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: "production",
  NEXT_DIST_DIR: DIST_DIR,
  DATABASE_URL: benchDatabaseUrl(),
  AUTH_SECRET: process.env.AUTH_SECRET ?? BENCH_AUTH_SECRET,
  PANEL_URL: ORIGIN,
  NEXT_TELEMETRY_DISABLED: "1",
};

function runToEnd(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", env: serverEnv, detached: true });
    const timer = setTimeout(() => {
      void stopGroup(child);
      reject(new Error(`${args.join(" ")} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${args.join(" ")} exited with ${code ?? signal}`));
    });
  });
}

/** Stops a child we started in its own process group, and everything it spawned. */
function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      clearTimeout(kill);
      resolve();
    }
  });
}

async function waitForServer(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${ORIGIN}/sign-in`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the panel did not answer on ${ORIGIN} within ${START_TIMEOUT_MS / 1000} s`);
}

/** The real flow: the sign-in form, then (for logins with TOTP) the code page, then the role's home. */
async function signIn(page: Page, email: string, home: string): Promise<void> {
  await page.goto(`${ORIGIN}/sign-in`);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const secret = seedTotpSecrets[email];
  if (secret) {
    await page.waitForURL((url) => url.pathname === "/sign-in/two-factor", { timeout: 30_000 });
    await page.getByLabel("Code").fill(await createOTP(secret).totp());
    await page.getByRole("button", { name: "Verify" }).click();
  }
  await page.waitForURL((url) => url.pathname.startsWith(home), { timeout: 30_000 });
}

type Sample = { lcp: number; ttfb: number; settled: number; element: string };

// Both pages fetch their data with tRPC after hydrating, and LCP may be a static heading; the time
// of the last DOM change before the network went quiet says when the data was on screen.
function recordDomChanges(): void {
  const w = window as unknown as { __lastDomChange: number };
  w.__lastDomChange = 0;
  new MutationObserver(() => {
    w.__lastDomChange = window.performance.now();
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
}

/** One full navigation; LCP as the browser reports it once the page and its data have settled. */
async function loadOnce(page: Page, path: string): Promise<Sample> {
  await page.goto(`${ORIGIN}${path}`, { waitUntil: "networkidle" });
  const url = new URL(page.url());
  if (url.pathname !== path) throw new Error(`${path} redirected to ${url.pathname}`);
  return page.evaluate(
    () =>
      new Promise<Sample>((resolve, reject) => {
        const nav = window.performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
        const ttfb = nav ? nav.responseStart : NaN;
        const settled = (window as unknown as { __lastDomChange: number }).__lastDomChange;
        new PerformanceObserver((list) => {
          const entries = list.getEntries() as (PerformanceEntry & { element?: Element | null })[];
          const last = entries[entries.length - 1];
          if (!last) return;
          const el = last.element;
          const element = el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} "${(el.textContent ?? "").trim().slice(0, 40)}"` : "(removed)";
          resolve({ lcp: last.startTime, ttfb, settled, element });
        }).observe({ type: "largest-contentful-paint", buffered: true });
        setTimeout(() => reject(new Error("no largest-contentful-paint entry")), 5_000);
      }),
  );
}

type Row = { page: string; who: string; samples: Sample[] };

function report(rows: Row[]): void {
  const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const header = ["page", "signed in as", "loads", "TTFB p50", "DOM settled p50", "LCP p50", "LCP max", "target", "result", "LCP element (last load)"];
  const table = rows.map((r) => {
    const lcp = r.samples.map((s) => s.lcp).sort((a, b) => a - b);
    const ttfb = r.samples.map((s) => s.ttfb).sort((a, b) => a - b);
    const settled = r.samples.map((s) => s.settled).sort((a, b) => a - b);
    const max = lcp[lcp.length - 1]!;
    return [
      r.page,
      r.who,
      String(r.samples.length),
      `${pct(ttfb, 50).toFixed(0)} ms`,
      `${pct(settled, 50).toFixed(0)} ms`,
      `${pct(lcp, 50).toFixed(0)} ms`,
      `${max.toFixed(0)} ms`,
      `${TARGET_MS} ms`,
      pct(lcp, 50) <= TARGET_MS && max <= TARGET_MS ? "ok" : "OVER",
      r.samples[r.samples.length - 1]!.element,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of table) console.log(line(r));
  console.log("\nTTFB: first byte of the HTML; DOM settled: last DOM change before the network went idle (data on screen).");
  console.log(`Load average: ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} CPUs.`);
}

async function measure(): Promise<Row[]> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl() });
  await client.connect();
  let demo;
  let users;
  try {
    demo = await findDemoRows(client);
    const { rows } = await client.query<{ id: string; email: string }>(`SELECT id, email FROM "User" WHERE id = ANY($1)`, [
      [demo.demoCustomerUserId, demo.resellerOneUserId],
    ]);
    users = new Map(rows.map((r) => [r.id, r.email]));
  } finally {
    await client.end();
  }
  const personas = [
    { who: "demo customer", email: users.get(demo.demoCustomerUserId)!, home: "/dashboard", path: "/dashboard" },
    { who: "Reseller One", email: users.get(demo.resellerOneUserId)!, home: "/reseller/customers", path: "/reseller/customers" },
  ];

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const rows: Row[] = [];
    for (const p of personas) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      await context.addInitScript(recordDomChanges);
      try {
        const page = await context.newPage();
        await signIn(page, p.email, p.home);
        const samples: Sample[] = [];
        for (let i = 0; i < LOADS; i++) {
          const sample = await loadOnce(page, p.path);
          if (i > 0) samples.push(sample);
        }
        rows.push({ page: p.path, who: p.who, samples });
      } finally {
        await context.close();
      }
    }
    return rows;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  if (process.env.SKIP_BUILD !== "1") {
    // `next build` in two steps, compile then generate: the same output without Next's
    // whole-project type check, which in a shared checkout fails on anyone's half-written file and
    // is `npx tsc`'s job anyway.
    console.log(`Building the panel into ${DIST_DIR} ...`);
    const buildDeadline = Date.now() + BUILD_TIMEOUT_MS;
    for (const mode of ["compile", "generate"]) {
      await runToEnd(["node_modules/next/dist/bin/next", "build", `--experimental-build-mode=${mode}`], buildDeadline - Date.now());
    }
  }
  console.log(`Starting the panel on ${ORIGIN} (database ${benchDatabaseUrl()}) ...`);
  const server = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(PORT)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: serverEnv,
    detached: true,
  });
  let deadline: NodeJS.Timeout | undefined;
  try {
    await waitForServer(server);
    const rows = await Promise.race([
      measure(),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => reject(new Error(`measuring took longer than ${MEASURE_TIMEOUT_MS / 1000} s`)), MEASURE_TIMEOUT_MS);
      }),
    ]);
    console.log(`\nLCP on loopback, ${LOADS} loads per page, the first discarded as warm-up (viewport 1366x768):`);
    report(rows);
  } finally {
    clearTimeout(deadline);
    await stopGroup(server);
    console.log(`Panel stopped. Total ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
