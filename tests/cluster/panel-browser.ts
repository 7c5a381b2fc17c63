import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "@playwright/test";
import { waitFor } from "../../worker/agent/wait-for";
import { clusterAddress, type Cluster } from "./harness";
import { purposeKey } from "../../server/contract/cluster-secrets";

// The panel and Chromium for the cluster tier's browser tests: the demo seed in the cluster's
// database, the production build (`distDir`, built here if missing), `next start` on `port` (on
// the cluster's queue prefix, so its questions to nodes reach the cluster's control workers), and
// Chromium resolving *.test to node 1, whose front door forwards to the live node.

const root = path.resolve(import.meta.dirname, "../..");

export type PanelBrowser = { browser: Browser; stop(): Promise<void> };

export async function startPanelBrowser(cluster: Cluster, opts: { port: number; distDir?: string }): Promise<PanelBrowser> {
  const distDir = opts.distDir ?? ".next-test";
  // As scripts/cluster.sh starts it: the app-admin key, never the cluster secret.
  const env = { ...process.env, DATABASE_URL: cluster.databaseUrl, PANEL_URL: `http://localhost:${opts.port}`, SHOAL_APP_ADMIN_KEY: purposeKey(cluster.clusterSecret, "app-admin"), SHOAL_QUEUE_PREFIX: cluster.queuePrefix, NODE_ENV: "production", NEXT_DIST_DIR: distDir } as NodeJS.ProcessEnv;
  delete env.SHOAL_CLUSTER_SECRET;
  execFileSync(process.execPath, ["--import", "tsx", "prisma/seed.ts"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  if (!existsSync(path.join(root, distDir, "BUILD_ID"))) {
    execFileSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  }
  const panel: ChildProcess = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(opts.port)], { cwd: root, env, stdio: "ignore", detached: true });
  await waitFor("the panel to answer", async () => (await fetch(`http://127.0.0.1:${opts.port}/sign-in`).catch(() => null))?.ok, { timeoutMs: 60_000 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--host-resolver-rules=MAP *.test ${clusterAddress(1)}`],
  });
  return {
    browser,
    async stop() {
      await browser.close();
      if (panel.pid) {
        try {
          process.kill(-panel.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    },
  };
}
