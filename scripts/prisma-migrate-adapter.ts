// The driver adapter that Prisma's WASM schema engine uses for `prisma migrate`.
// Only the migration CLI uses this file; the application's client is built in server/db.ts.
// It works around two bugs of @prisma/adapter-pg 6.19:
//  1. prisma/orm#27403: the schema engine reads catalog columns typed `name`, `oid`, ... which the
//     adapter cannot deserialize. We report them as text (and their arrays as text[]).
//  2. connectToShadowDb() reuses `connectionString`, so the "shadow" database is the main one, and
//     drops the shadow database while its pool is still open.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

const TEXT = 25;
const TEXT_ARRAY = 1009;
const CATALOG_SCALARS = new Set([
  18, 19, 24, 28, 29, 194, 1033, 2202, 2203, 2204, 2205, 2206, 3361, 3402, 4089, 4096, 5017,
]);
const CATALOG_ARRAYS = new Set([1002, 1003, 1008, 1011, 1034, 2211]);

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function retype<T>(result: T): T {
  const fields = (result as QueryResultLike | undefined)?.fields;
  if (fields) {
    for (const field of fields) {
      if (CATALOG_SCALARS.has(field.dataTypeID)) field.dataTypeID = TEXT;
      else if (CATALOG_ARRAYS.has(field.dataTypeID)) field.dataTypeID = TEXT_ARRAY;
    }
  }
  return result;
}

class CatalogTextClient extends pg.Client {
  // pg-pool calls query(config, values, callback); the adapter awaits query(config, values).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const last: unknown = args[args.length - 1];
    if (typeof last === "function") {
      const callback = last as (err: Error | null, result?: unknown) => void;
      args[args.length - 1] = (err: Error | null, result?: unknown) => callback(err, retype(result));
      return (super.query as (...a: unknown[]) => unknown)(...(args as unknown[]));
    }
    const out = (super.query as (...a: unknown[]) => Promise<unknown> | undefined)(...(args as unknown[]));
    return out && typeof out.then === "function" ? out.then(retype) : out;
  }
}

class MigrationAdapterFactory extends PrismaPg {
  constructor(private readonly url: string) {
    super({ connectionString: url, Client: CatalogTextClient, max: 4, allowExitOnIdle: true });
  }

  override async connectToShadowDb() {
    const admin = new pg.Client({ connectionString: this.url });
    await admin.connect();
    const database = `prisma_migrate_shadow_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    const shadowUrl = new URL(this.url);
    shadowUrl.pathname = `/${database}`;
    const shadow = new PrismaPg({ connectionString: shadowUrl.toString(), Client: CatalogTextClient, max: 4, allowExitOnIdle: true });
    const adapter = await shadow.connect();
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      const cleanup = new pg.Client({ connectionString: this.url });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await cleanup.end();
    };
    return adapter;
  }
}

export function migrationAdapter(url: string) {
  return new MigrationAdapterFactory(url);
}
