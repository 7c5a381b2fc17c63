import path from "node:path";
import { defineConfig } from "vitest/config";

// Two tiers. unit: pure code, no services. integration: real Postgres (a fresh database per test
// file, cloned from a migrated template), real Redis, and real nginx, php-fpm and MariaDB for the
// agent's tests.
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/helpers/global-setup.ts"],
          setupFiles: ["tests/helpers/test-database.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
