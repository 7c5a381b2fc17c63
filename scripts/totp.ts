// Prints the current TOTP code for a login: `npx tsx scripts/totp.ts admin@shoal.localhost`.
// Seeded logins use the seed-only secrets (no database needed); any other enrolled login is read
// from the database when DATABASE_URL and AUTH_SECRET are set.
import { createOTP } from "@better-auth/utils/otp";
import { seedTotpSecrets } from "../prisma/seed-totp-secrets";

async function secretFromDatabase(email: string): Promise<string | null> {
  if (!process.env.DATABASE_URL || !process.env.AUTH_SECRET) return null;
  const { symmetricDecrypt } = await import("better-auth/crypto");
  const { db } = await import("../server/db");
  try {
    const row = await db.twoFactor.findFirst({ where: { user: { email }, verified: true }, select: { secret: true } });
    return row ? await symmetricDecrypt({ key: process.env.AUTH_SECRET, data: row.secret }) : null;
  } finally {
    await db.$disconnect();
  }
}

const email = process.argv[2]?.trim().toLowerCase();
if (!email) {
  console.error("usage: npx tsx scripts/totp.ts <email>");
  process.exit(2);
}
const secret = seedTotpSecrets[email] ?? (await secretFromDatabase(email));
if (!secret) {
  console.error(`${email}: no TOTP secret (not a seeded login; set DATABASE_URL and AUTH_SECRET for others)`);
  process.exit(1);
}
const code = await createOTP(secret).totp();
const secondsLeft = 30 - (Math.floor(Date.now() / 1000) % 30);
console.log(`${code}   (valid for ${secondsLeft} more seconds)`);
