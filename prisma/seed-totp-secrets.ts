// SEED-ONLY TOTP secrets, so the demo logins printed by prisma/seed.ts work out of the box and
// `npx tsx scripts/totp.ts <email>` can print the current code without a database. They are in
// the repository on purpose: never enrol a real account with them.
export const seedTotpSecrets: Record<string, string> = {
  "admin@shoal.localhost": "seed-only-totp-admin-000000000001",
  "owner@reseller-one.localhost": "seed-only-totp-reseller-one-00002",
  "owner@reseller-two.localhost": "seed-only-totp-reseller-two-00003",
  "owner@reseller-one-sub.localhost": "seed-only-totp-reseller-sub-00004",
};
