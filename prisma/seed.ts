// Demo data for `npm start` and the e2e tests. Idempotent: stable ids and emails, upserts only, so
// it runs on every start. Run with DATABASE_URL and AUTH_SECRET set: `npx tsx prisma/seed.ts`.
import { symmetricEncrypt } from "better-auth/crypto";
import { db } from "../server/db";
import { env } from "../server/env";
import { createLogin } from "../server/auth/create-login";
import type { Role } from "../server/generated/prisma/enums";
import { seedTotpSecrets } from "./seed-totp-secrets";

const PASSWORD = "demo-password-1";
// The demo URLs use the panel's port (npm start sets PANEL_URL from PORT).
const PORT = new URL(env.PANEL_URL).port || "80";

type ResellerSeed = {
  id: string;
  name: string;
  parentId: string | null;
  isPlatform?: boolean;
  hostname?: string;
  brand: { primaryColor: string; accentColor: string; nameservers: string[]; supportEmail: string };
};

const resellers: ResellerSeed[] = [
  {
    id: "seed-platform",
    name: "Shoal",
    parentId: null,
    isPlatform: true,
    brand: { primaryColor: "#0f766e", accentColor: "#f59e0b", nameservers: ["ns1.shoal.test", "ns2.shoal.test"], supportEmail: "support@shoal.localhost" },
  },
  {
    id: "seed-reseller-one",
    name: "Reseller One",
    parentId: "seed-platform",
    hostname: "panel.reseller-one.localhost",
    brand: { primaryColor: "#1d4ed8", accentColor: "#db2777", nameservers: ["ns1.reseller-one.test", "ns2.reseller-one.test"], supportEmail: "help@reseller-one.localhost" },
  },
  {
    id: "seed-reseller-two",
    name: "Reseller Two",
    parentId: "seed-platform",
    hostname: "panel.reseller-two.localhost",
    brand: { primaryColor: "#7c2d12", accentColor: "#65a30d", nameservers: ["ns1.reseller-two.test", "ns2.reseller-two.test"], supportEmail: "help@reseller-two.localhost" },
  },
  {
    id: "seed-reseller-one-sub",
    name: "Reseller One Sub",
    parentId: "seed-reseller-one",
    brand: { primaryColor: "#6d28d9", accentColor: "#0891b2", nameservers: ["ns1.reseller-one.test", "ns2.reseller-one.test"], supportEmail: "help@reseller-one-sub.localhost" },
  },
];

type LoginSeed = { email: string; name: string; role: Role; resellerId: string; customerId?: string; url: string };

const platformUrl = `http://localhost:${PORT}`;
const hostUrl = (hostname: string) => `http://${hostname}:${PORT}`;

async function seedReseller(r: ResellerSeed, paths: Map<string, string>) {
  const path = r.parentId ? `${paths.get(r.parentId)}${r.id}/` : `/${r.id}/`;
  paths.set(r.id, path);
  await db.reseller.upsert({
    where: { id: r.id },
    create: { id: r.id, name: r.name, isPlatform: r.isPlatform ?? false, parentId: r.parentId, path },
    update: { name: r.name, parentId: r.parentId, path },
  });
  const brand = { displayName: r.name, emailSenderName: r.name, ...r.brand };
  await db.brand.upsert({ where: { resellerId: r.id }, create: { resellerId: r.id, ...brand }, update: brand });
  if (r.hostname) {
    await db.brandHostname.upsert({
      where: { hostname: r.hostname },
      create: { hostname: r.hostname, resellerId: r.id },
      update: { resellerId: r.id },
    });
  }
}

async function seedPlan(resellerId: string) {
  const id = `${resellerId}-plan-standard`;
  // Each account gets one core, 512 MB and 128 processes on every node it runs on: room for a
  // few WordPress sites, and inside the platform's default bounds (PlatformSettings).
  const plan = {
    name: "Standard",
    maxSites: 10,
    diskMb: 20_000,
    maxDatabases: 10,
    maxMailboxes: 25,
    trafficGbMonth: 500,
    cpuPercent: 100,
    memoryMb: 512,
    pids: 128,
    ioWeight: 100,
  };
  await db.plan.upsert({ where: { id }, create: { id, resellerId, ...plan }, update: plan });
  return id;
}

async function seedCustomer(resellerId: string, planId: string, n: number, slug: string, username: string) {
  const id = `${resellerId}-customer-${n}`;
  const data = { name: `${slug} customer ${n}`, email: `customer${n}@${slug}.localhost` };
  await db.customer.upsert({ where: { id }, create: { id, resellerId, ...data }, update: data });
  const accountId = `${id}-account`;
  await db.hostingAccount.upsert({
    where: { id: accountId },
    create: { id: accountId, customerId: id, planId, username },
    update: {},
  });
  return { id, email: data.email, name: data.name };
}

async function ensureLogin(login: LoginSeed) {
  const existing = await db.user.findUnique({ where: { email: login.email }, select: { id: true } });
  if (existing) return existing.id;
  const { userId } = await db.$transaction((tx) =>
    createLogin(tx, {
      email: login.email,
      name: login.name,
      role: login.role,
      resellerId: login.resellerId,
      customerId: login.customerId ?? null,
      password: PASSWORD,
    }),
  );
  return userId;
}

/** Enrols TOTP exactly as better-auth stores it (secret and backup codes encrypted with AUTH_SECRET). */
async function ensureTotp(userId: string, secret: string) {
  const encrypted = await symmetricEncrypt({ key: env.AUTH_SECRET, data: secret });
  const backupCodes = await symmetricEncrypt({ key: env.AUTH_SECRET, data: JSON.stringify([]) });
  await db.$transaction(async (tx) => {
    await tx.twoFactor.deleteMany({ where: { userId } });
    await tx.twoFactor.create({ data: { userId, secret: encrypted, backupCodes, verified: true } });
    await tx.user.update({ where: { id: userId }, data: { twoFactorEnabled: true } });
  });
}

async function main() {
  const paths = new Map<string, string>();
  for (const r of resellers) await seedReseller(r, paths);

  const logins: LoginSeed[] = [
    { email: "admin@shoal.localhost", name: "Platform Admin", role: "ADMIN", resellerId: "seed-platform", url: platformUrl },
  ];
  const trees = [
    { resellerId: "seed-reseller-one", slug: "reseller-one", customers: 2, url: hostUrl("panel.reseller-one.localhost") },
    { resellerId: "seed-reseller-two", slug: "reseller-two", customers: 2, url: hostUrl("panel.reseller-two.localhost") },
    // The sub-reseller has no panel host of its own: its people sign in on its parent's host.
    { resellerId: "seed-reseller-one-sub", slug: "reseller-one-sub", customers: 1, url: hostUrl("panel.reseller-one.localhost") },
  ];
  for (const tree of trees) {
    const reseller = resellers.find((r) => r.id === tree.resellerId)!;
    logins.push({ email: `owner@${tree.slug}.localhost`, name: `${reseller.name} Owner`, role: "RESELLER", resellerId: tree.resellerId, url: tree.url });
    const planId = await seedPlan(tree.resellerId);
    for (let n = 1; n <= tree.customers; n++) {
      const username = `${tree.slug.replace(/[^a-z]/g, "").slice(0, 12)}c${n}`;
      const customer = await seedCustomer(tree.resellerId, planId, n, tree.slug, username);
      logins.push({ email: customer.email, name: customer.name, role: "CUSTOMER", resellerId: tree.resellerId, customerId: customer.id, url: tree.url });
    }
  }

  for (const login of logins) {
    const userId = await ensureLogin(login);
    const secret = seedTotpSecrets[login.email];
    if (secret) await ensureTotp(userId, secret);
  }

  const rows = logins.map((l) => ({
    url: l.url,
    email: l.email,
    password: PASSWORD,
    role: l.role,
    twoFactor: seedTotpSecrets[l.email] ? `npx tsx scripts/totp.ts ${l.email}` : "-",
  }));
  const headers = { url: "URL", email: "Email", password: "Password", role: "Role", twoFactor: "2FA code" };
  const keys = Object.keys(headers) as (keyof typeof headers)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(headers[k].length, ...rows.map((r) => r[k].length))]));
  const line = (r: Record<string, string>) => keys.map((k) => r[k]!.padEnd(width[k]!)).join("  ").trimEnd();
  console.log("Shoal demo logins (all passwords: demo-password-1)\n");
  console.log(line(headers));
  console.log(keys.map((k) => "-".repeat(width[k]!)).join("  "));
  for (const r of rows) console.log(line(r));
}

try {
  await main();
} finally {
  await db.$disconnect();
}
