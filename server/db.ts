import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";
import { env } from "./env";

export type Db = PrismaClient;
export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

const globalForDb = globalThis as unknown as { shoalDb?: PrismaClient };

export function createDb(url: string = env.DATABASE_URL): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
}

// One client per process (Next's dev server re-evaluates modules, hence the global).
export const db: PrismaClient = globalForDb.shoalDb ?? createDb();
if (env.NODE_ENV !== "production") globalForDb.shoalDb = db;
