import path from "node:path";
import { defineConfig } from "vitest/config";

// The cluster tier (scripts/test.sh runs it after the others): real agents, node masters and
// control workers on 127.0.2.x (tests/cluster/harness.ts). The addresses are fixed, so one file
// runs at a time; each file gets its own database cloned from the migrated template, as in the
// integration tier. Starting nodes (MariaDB's first install-db) takes seconds: long timeouts.
const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  root,
  resolve: { alias: { "@": root } },
  test: {
    name: "cluster",
    include: ["tests/cluster/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    globalSetup: ["tests/helpers/global-setup.ts"],
    setupFiles: ["tests/helpers/test-database.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
  },
});
