import path from "node:path";
import { defineConfig } from "vitest/config";

// The security tier (scripts/test.sh runs it last): escape attempts by a hostile customer on a
// real cluster (tests/cluster/harness.ts), so it shares the cluster tier's fixed addresses and
// runs its files one after another, after the cluster tier, never beside it.
const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  root,
  resolve: { alias: { "@": root } },
  test: {
    name: "security",
    include: ["tests/security/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    globalSetup: ["tests/helpers/global-setup.ts"],
    setupFiles: ["tests/helpers/test-database.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
  },
});
