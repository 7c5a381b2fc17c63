import path from "node:path";
import { defineConfig } from "prisma/config";
import { migrationAdapter } from "./scripts/prisma-migrate-adapter";

// With this file Prisma no longer reads .env; scripts/lib.sh exports DATABASE_URL.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set (scripts/lib.sh sets it)");
    return migrationAdapter(url);
  },
});
