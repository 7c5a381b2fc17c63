import { createOTP } from "@better-auth/utils/otp";
import { symmetricDecrypt } from "better-auth/crypto";
import { db } from "../../../server/db";
import { auth } from "../../../server/auth/auth";
import { createLogin } from "../../../server/auth/create-login";
import type { Role } from "../../../server/generated/prisma/enums";

// Drives better-auth the way a browser does: real Requests through auth.handler, cookies carried
// from Set-Cookie to the next request's Cookie header.

export const PASSWORD = "demo-password-1";

export type Jar = Map<string, string>;

export function absorb(jar: Jar, res: Response): Jar {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === "";
    if (expired) jar.delete(name);
    else jar.set(name, value);
  }
  return jar;
}

export function cookieHeader(jar: Jar): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
}

export function headersFor(jar: Jar, opts: { host?: string; ip?: string } = {}): Headers {
  const host = opts.host ?? "localhost:3000";
  const h = new Headers({ host, "x-forwarded-for": opts.ip ?? "203.0.113.10", "user-agent": "vitest" });
  if (jar.size) {
    h.set("cookie", cookieHeader(jar));
    h.set("origin", `http://${host}`);
  }
  return h;
}

export async function post(path: string, body: unknown, jar: Jar = new Map(), opts: { host?: string; ip?: string } = {}) {
  const headers = headersFor(jar, opts);
  headers.set("content-type", "application/json");
  const host = opts.host ?? "localhost:3000";
  const res = await auth.handler(
    new Request(`http://${host}/api/auth${path}`, { method: "POST", headers, body: JSON.stringify(body) }),
  );
  absorb(jar, res);
  return res;
}

export async function signIn(email: string, password = PASSWORD, opts: { host?: string; ip?: string } = {}) {
  const jar: Jar = new Map();
  const res = await post("/sign-in/email", { email, password }, jar, opts);
  return { res, jar, json: (await res.clone().json().catch(() => null)) as Record<string, unknown> | null };
}

export async function makeLogin(
  role: Role,
  resellerId: string,
  customerId: string | null = null,
  email = `${role.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}@example.test`,
) {
  const { userId } = await db.$transaction((tx) =>
    createLogin(tx, { email, name: `${role} person`, role, resellerId, customerId, password: PASSWORD }),
  );
  return { userId, email };
}

/** The current code for a user's enrolled secret, computed the way an authenticator app does. */
export async function totpFor(userId: string): Promise<string> {
  const row = await db.twoFactor.findFirstOrThrow({ where: { userId } });
  const secret = await symmetricDecrypt({ key: process.env.AUTH_SECRET!, data: row.secret });
  return createOTP(secret).totp();
}

export function sessionCookieName(jar: Jar): string | undefined {
  return [...jar.keys()].find((k) => k.endsWith("panel.session_token"));
}

/** Enrols TOTP the way the set-up page does: enable with the password, confirm with a code. */
export async function enrolTotp(jar: Jar, userId: string, opts: { host?: string } = {}) {
  const enable = await post("/two-factor/enable", { password: PASSWORD }, jar, opts);
  if (enable.status !== 200) throw new Error(`enable failed: ${enable.status} ${await enable.text()}`);
  const body = (await enable.json()) as { totpURI: string; backupCodes: string[] };
  const verify = await post("/two-factor/verify-totp", { code: await totpFor(userId) }, jar, opts);
  if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${await verify.text()}`);
  return body;
}
