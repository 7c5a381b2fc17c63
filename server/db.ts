import { createPrismaClient, type Db } from "./db-client";
import { env } from "./env";

export type { Db, Tx } from "./db-client";

const globalForDb = globalThis as unknown as { shoalDb?: Db };

// One client per process (Next's dev server re-evaluates modules, hence the global).
export const db: Db = globalForDb.shoalDb ?? createPrismaClient(env.DATABASE_URL);
if (env.NODE_ENV !== "production") globalForDb.shoalDb = db;
