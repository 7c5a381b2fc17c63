import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware, isAPIError } from "better-auth/api";
import { twoFactor } from "better-auth/plugins/two-factor";
import { db } from "../db";
import { brandForReseller, neutralDisplayName } from "../services/brand/resolve-brand";
import { env } from "../env";
import { AppError } from "../errors";
import { clientIp } from "../http/client-ip";
import { applyPanelRules } from "./endpoint-rules";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from "./password";
import { sendPasswordMail } from "./password-mail";
import { resellerForHost, userBelongsToTree } from "./panel-host";
import { limitKeys, refundAttempt, reserveAttempt, type LimitedKey } from "./rate-limit";
import { hashVerificationIdentifier } from "./verification-identifier";

export const AUTH_BASE_PATH = "/api/auth";
/** better-auth's name for the cookie that carries a pending TOTP challenge (plugins/two-factor/constant). */
const TWO_FACTOR_COOKIE = "two_factor";
/** better-auth's own message for a failed sign-in, reused for every refusal so they read the same. */
const INVALID_EMAIL_OR_PASSWORD = { code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password" };

const signInPath = "/sign-in/email";
const challengePaths = new Set(["/two-factor/verify-totp", "/two-factor/verify-backup-code"]);
const resetRequestPath = "/request-password-reset";

function rateLimited(error: unknown): never {
  if (error instanceof AppError && error.code === "RATE_LIMITED") {
    throw new APIError("TOO_MANY_REQUESTS", { code: "TOO_MANY_ATTEMPTS", message: error.message });
  }
  throw error;
}

type HookCtx = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

/** The keys an HTTP attempt was counted against in the before hook, for the after hook's refund. */
const reserved = new WeakMap<Request, LimitedKey[]>();

/** The request body's fields (better-auth types the body as any). */
function body(ctx: HookCtx): Record<string, unknown> {
  return (ctx.body ?? {}) as Record<string, unknown>;
}

/** A string field of the request body, or "" when it is missing or not a string. */
function bodyText(ctx: HookCtx, name: string): string {
  const value = body(ctx)[name];
  return typeof value === "string" ? value : "";
}

function requestHeaders(ctx: HookCtx): Headers {
  return ctx.headers ?? ctx.request?.headers ?? new Headers();
}

/** The user behind a pending TOTP challenge (sign-in passed the password, no session yet). */
async function challengedUser(ctx: HookCtx): Promise<{ id: string; email: string } | null> {
  const cookie = ctx.context.createAuthCookie(TWO_FACTOR_COOKIE);
  const identifier = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
  if (!identifier) return null;
  const verification = await ctx.context.internalAdapter.findVerificationValue(identifier);
  if (!verification) return null;
  return db.user.findUnique({ where: { id: verification.value }, select: { id: true, email: true } });
}

/** The rate-limit keys an attempt counts against, or null when the path is not limited here. */
async function attemptKeys(ctx: HookCtx) {
  const ip = clientIp(requestHeaders(ctx));
  if (ctx.path === signInPath) {
    return [limitKeys.loginAccount(bodyText(ctx, "email")), limitKeys.loginIp(ip)];
  }
  if (challengePaths.has(ctx.path)) {
    const user = await challengedUser(ctx);
    // Verifying a code with a session is enrolment, not sign-in: the session already proves a login.
    return user ? [limitKeys.loginAccount(user.email), limitKeys.loginIp(ip)] : null;
  }
  return null;
}

/**
 * Only a reseller's own tree signs in on its panel host; admins and everyone else use the platform
 * host. A refusal looks exactly like a wrong password (same error, and a hash computed so it
 * takes as long), so a reseller's host does not reveal who has a login elsewhere.
 */
async function assertMayUseHost(ctx: HookCtx): Promise<void> {
  const email = bodyText(ctx, "email").trim().toLowerCase();
  const user = await db.user.findUnique({ where: { email }, select: { id: true, disabledAt: true } });
  if (!user) return;
  const reseller = await resellerForHost(requestHeaders(ctx));
  const refused = user.disabledAt !== null || (reseller !== null && !(await userBelongsToTree(user.id, reseller.path)));
  if (!refused) return;
  // Counted already (reserveAttempt), like any attempt.
  await hashPassword(bodyText(ctx, "password"));
  throw new APIError("UNAUTHORIZED", INVALID_EMAIL_OR_PASSWORD);
}

/**
 * The TOTP issuer shown in authenticator apps: the user's reseller's own brand, else the brand its
 * panel presents (nearest ancestor with a host, then the platform's), never the software's name.
 */
async function issuerFor(userId: string): Promise<string> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { resellerId: true, reseller: { select: { brand: { select: { displayName: true } } } } },
  });
  if (!user) return neutralDisplayName;
  return user.reseller.brand?.displayName ?? (await brandForReseller(user.resellerId)).displayName;
}

// better-auth 1.7's two-factor plugin always writes lockout columns (failedVerificationCount,
// lockedUntil) that our TwoFactor table does not have; the lockout itself is switched off below in
// favour of our per-account/IP limits. This client drops those two fields from TwoFactor writes
// (a Prisma query extension, so it also applies inside better-auth's transactions).
const lockoutColumns = ["failedVerificationCount", "lockedUntil"];
function withoutLockoutColumns<T>(data: T): T {
  if (!data || typeof data !== "object") return data;
  const copy = { ...(data as Record<string, unknown>) };
  for (const key of lockoutColumns) delete copy[key];
  return copy as T;
}
const authDb = db.$extends({
  query: {
    twoFactor: {
      create: ({ args, query }) => query({ ...args, data: withoutLockoutColumns(args.data) }),
      update: ({ args, query }) => query({ ...args, data: withoutLockoutColumns(args.data) }),
      updateMany: ({ args, query }) => query({ ...args, data: withoutLockoutColumns(args.data) }),
    },
  },
});

export const auth = betterAuth({
  // better-auth's default issuer and mail name: neutral (the enable hook below sets the brand's).
  appName: neutralDisplayName,
  secret: env.AUTH_SECRET,
  // Links in mails are built per reseller (password-mail.ts); this URL is the platform host's
  // origin, which is trusted for CSRF along with every reseller panel host (trustedOrigins below).
  baseURL: env.PANEL_URL,
  basePath: AUTH_BASE_PATH,
  database: prismaAdapter(authDb, { provider: "postgresql", transaction: true }),
  trustedOrigins: async (request) => {
    if (!request) return [];
    const host = request.headers.get("host");
    if (!host || !(await resellerForHost(request.headers))) return [];
    return [`${new URL(env.PANEL_URL).protocol}//${host}`];
  },
  emailAndPassword: {
    enabled: true,
    // Logins are created by admins and resellers (server/auth/create-login.ts), never by visitors.
    disableSignUp: true,
    minPasswordLength: MIN_PASSWORD_LENGTH,
    maxPasswordLength: MAX_PASSWORD_LENGTH,
    password: { hash: hashPassword, verify: verifyPassword },
    resetPasswordTokenExpiresIn: 60 * 60,
    revokeSessionsOnPasswordReset: true,
    sendResetPassword: async ({ user, token }) => {
      const login = await db.user.findUnique({
        where: { id: user.id },
        select: { email: true, name: true, resellerId: true, disabledAt: true },
      });
      if (!login || login.disabledAt) return;
      await sendPasswordMail(db, { user: login, token, kind: "reset" });
    },
  },
  session: {
    // The row's expiresAt is the absolute cap (SESSION_ABSOLUTE_HOURS after sign-in) and is never
    // extended, so the cookie lives exactly as long; the sliding idle timeout is enforced on
    // updatedAt by getAuthState, which can run where no cookie can be re-issued (server components).
    expiresIn: env.SESSION_ABSOLUTE_HOURS * 60 * 60,
    disableSessionRefresh: true,
    // Every request reads the row, so deleting it (sign-out, reset, expiry) takes effect at once.
    cookieCache: { enabled: false },
    additionalFields: { impersonatedBy: { type: "string", required: false, input: false } },
  },
  user: {
    additionalFields: {
      role: { type: "string", required: false, input: false },
      resellerId: { type: "string", required: false, input: false },
      customerId: { type: "string", required: false, input: false },
    },
  },
  verification: { storeIdentifier: { hash: async (identifier) => hashVerificationIdentifier(identifier) } },
  // Our own Postgres-backed limits (rate-limit.ts) cover sign-in, TOTP and reset requests across
  // every panel process; better-auth's limiter keeps its counts in one process's memory.
  rateLimit: { enabled: false },
  databaseHooks: {
    session: {
      create: {
        // The address as our trusted-proxy rules see it, not better-auth's own header reading.
        before: async (session, ctx) => {
          const headers = ctx?.headers ?? ctx?.request?.headers;
          return { data: { ...session, ipAddress: headers ? clientIp(headers) : null } };
        },
      },
    },
  },
  advanced: {
    cookiePrefix: "panel",
    useSecureCookies: env.PANEL_URL.startsWith("https://"),
    defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
    ipAddress: { disableIpTracking: true },
    // TwoFactor has no failedVerificationCount/lockedUntil columns: lockout is our rate limit.
    database: { validateSchema: false },
  },
  hooks: {
    before: createAuthMiddleware(async (ctx) => {
      // Profile and password writes obey the same rules as the panel's create-login.
      const checked = applyPanelRules(ctx.path, body(ctx));
      if (checked) return { context: { body: checked } };
      if (ctx.path === resetRequestPath) {
        const ip = clientIp(requestHeaders(ctx));
        // A reset request counts whether or not a mail goes out.
        await reserveAttempt([limitKeys.resetAccount(bodyText(ctx, "email")), limitKeys.resetIp(ip)]).catch(rateLimited);
        return;
      }
      if (ctx.path === "/two-factor/enable" || ctx.path === "/two-factor/disable") {
        const token = await ctx.getSignedCookie(ctx.context.authCookies.sessionToken.name, ctx.context.secret);
        const session = token ? await ctx.context.internalAdapter.findSession(token) : null;
        if (!session) return;
        if (ctx.path === "/two-factor/disable") {
          const user = await db.user.findUnique({ where: { id: session.user.id }, select: { role: true } });
          if (user && user.role !== "CUSTOMER") {
            throw new APIError("FORBIDDEN", { code: "TWO_FACTOR_REQUIRED", message: "Administrators and resellers must keep two-factor authentication." });
          }
          return;
        }
        return { context: { body: { ...body(ctx), issuer: await issuerFor(session.user.id) } } };
      }
      const keys = await attemptKeys(ctx);
      if (!keys) return;
      // Counted before the password or code is looked at (rate-limit.ts says why).
      await reserveAttempt(keys).catch(rateLimited);
      if (ctx.request) reserved.set(ctx.request, keys);
      if (ctx.path === signInPath) await assertMayUseHost(ctx);
    }),
    after: createAuthMiddleware(async (ctx) => {
      if (ctx.path !== signInPath && !challengePaths.has(ctx.path)) return;
      const keys = ctx.request ? reserved.get(ctx.request) : undefined;
      if (!keys) return;
      // A failure stays counted; a success (right password, right code) is given back.
      if (!isAPIError(ctx.context.returned)) await refundAttempt(keys);
    }),
  },
  plugins: [
    twoFactor({
      issuer: neutralDisplayName,
      backupCodeOptions: { amount: 10, length: 10, storeBackupCodes: "encrypted" },
      accountLockout: { enabled: false },
    }),
  ],
});

export type Auth = typeof auth;
