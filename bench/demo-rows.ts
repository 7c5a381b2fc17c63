import type pg from "pg";

/** The demo seed's rows the benchmarks act as (prisma/seed.ts owns their names; we look them up). */
export type DemoRows = {
  platformId: string;
  platformPath: string;
  adminUserId: string;
  resellerOneId: string;
  /** Reseller One and its descendants: what its tenant scope sees. */
  resellerOneTree: string[];
  resellerOneUserId: string;
  demoCustomerId: string;
  demoCustomerUserId: string;
  demoAccountId: string;
};

export async function findDemoRows(client: pg.Client): Promise<DemoRows> {
  const one = async <T extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<T> => {
    const { rows } = await client.query<T>(sql, params);
    if (!rows[0]) throw new Error(`The demo seed did not create ${what}; run it (prisma/seed.ts) first.`);
    return rows[0];
  };
  const platform = await one<{ id: string; path: string }>(
    "the platform reseller",
    `SELECT id, path FROM "Reseller" WHERE "isPlatform" ORDER BY "createdAt" LIMIT 1`,
  );
  const admin = await one<{ id: string }>(
    "an admin login",
    `SELECT id FROM "User" WHERE role = 'ADMIN' AND "disabledAt" IS NULL ORDER BY "createdAt", id LIMIT 1`,
  );
  const resellerOne = await one<{ id: string; path: string }>(
    "'Reseller One'",
    `SELECT id, path FROM "Reseller" WHERE name = 'Reseller One' AND NOT "isPlatform" ORDER BY "createdAt" LIMIT 1`,
  );
  const tree = await client.query<{ id: string }>(`SELECT id FROM "Reseller" WHERE path LIKE $1 || '%'`, [resellerOne.path]);
  const resellerOneUser = await one<{ id: string }>(
    "a login for Reseller One",
    `SELECT id FROM "User" WHERE role = 'RESELLER' AND "resellerId" = $1 AND "disabledAt" IS NULL ORDER BY "createdAt", id LIMIT 1`,
    [resellerOne.id],
  );
  // The demo customer: the first customer login under Reseller One, with its first live account.
  const demo = await one<{ userId: string; customerId: string; accountId: string }>(
    "a customer login with a hosting account under Reseller One",
    `SELECT u.id AS "userId", c.id AS "customerId", a.id AS "accountId"
       FROM "User" u
       JOIN "Customer" c ON c.id = u."customerId"
       JOIN "HostingAccount" a ON a."customerId" = c.id AND a."deletedAt" IS NULL
      WHERE u.role = 'CUSTOMER' AND u."disabledAt" IS NULL AND c."resellerId" = $1
      ORDER BY u."createdAt", u.id, a."createdAt", a.id LIMIT 1`,
    [resellerOne.id],
  );
  return {
    platformId: platform.id,
    platformPath: platform.path,
    adminUserId: admin.id,
    resellerOneId: resellerOne.id,
    resellerOneTree: tree.rows.map((r) => r.id),
    resellerOneUserId: resellerOneUser.id,
    demoCustomerId: demo.customerId,
    demoCustomerUserId: demo.userId,
    demoAccountId: demo.accountId,
  };
}
