import { randomBytes } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { db } from "../db";
import { AppError, appErrorCodes, type FieldErrors } from "../errors";
import type { AuthState } from "../auth/auth-state";
import { getAuthState } from "../auth/get-auth-state";
import { can, type Access } from "../auth/permissions";
import { tokenAllows } from "../auth/token-scopes";
import type { Scope } from "../auth/scope";
import { loadScope } from "../auth/load-scope";
import type { Actor } from "../services/actor";
import { clientIp } from "../http/client-ip";
import { errorFields, panelLogger } from "../observability/logger";
import { panelMetrics } from "../observability/panel-metrics";

export type Context = {
  headers: Headers;
  ip: string | null;
  auth: AuthState | null;
  /** Response headers, for the few procedures that set cookies ("log in as"). */
  resHeaders?: Headers;
  /** The HTTP request came from another site's page (server/http/same-origin.ts): no mutation runs. */
  crossSite?: boolean;
  /** Set when the call came through the REST API with a token: its scopes narrow the owner's rights. */
  token?: { id: string; scopes: string[] };
};

export async function createContext(opts: { headers: Headers; resHeaders?: Headers; crossSite?: boolean }): Promise<Context> {
  const auth = await getAuthState(opts.headers);
  return { headers: opts.headers, ip: clientIp(opts.headers), auth, resHeaders: opts.resHeaders, crossSite: opts.crossSite };
}

export type Meta = { access: Access };

function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    out[key] ??= issue.message;
  }
  return out;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error, path }) {
      const cause = error.cause;
      const app = cause instanceof AppError ? cause : null;
      const zod = cause instanceof z.ZodError ? cause : null;
      return {
        ...shape,
        message: zod ? "Please correct the highlighted fields." : app ? shape.message : clientMessage(error, path),
        data: {
          ...shape.data,
          stack: undefined,
          appCode: app?.code ?? (zod ? "BAD_INPUT" : null),
          fieldErrors: app?.fieldErrors ?? (zod ? zodFieldErrors(zod) : null),
        },
      };
    },
  });

/**
 * What a client reads of an error no service chose to show: a database or driver error's text
 * names tables, columns, ids of other scopes and the query itself, so an unexpected failure is
 * logged in full under an incident id and the client gets only that id.
 */
function clientMessage(error: TRPCError, path: string | undefined): string {
  if (error.code !== "INTERNAL_SERVER_ERROR") return error.message;
  const incident = randomBytes(6).toString("hex");
  panelLogger().error({ ...errorFields(error.cause ?? error), path, incident }, "procedure failed");
  return `Something went wrong on our side (incident ${incident}). Try again; if it keeps happening, contact support and quote the incident.`;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// Services throw AppError; this turns it into the matching tRPC code (and only it: an unknown error
// stays INTERNAL_SERVER_ERROR, never BAD_REQUEST).
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const app = result.error.cause;
    throw new TRPCError({ code: appErrorCodes[app.code].trpc, message: app.message, cause: app });
  }
  return result;
});

// Outermost, so the code counted is the one the caller gets (after mapAppErrors).
const measure = t.middleware(async ({ path, next }) => {
  const metrics = panelMetrics();
  const end = metrics.seconds.startTimer({ path });
  const result = await next();
  end();
  metrics.requests.inc({ path, code: result.ok ? "OK" : result.error.code });
  return result;
});

/**
 * The first string in `value` (a key or a value) that no text column can hold, with its path and
 * the reason: a NUL character (Postgres stores none) or a lone UTF-16 surrogate (not Unicode at
 * all: the database driver cannot encode it). Null when there is none.
 */
export function unstorableText(value: unknown, path: string[] = [], depth = 0): { path: string[]; message: string } | null {
  const check = (text: string, at: string[]) =>
    text.includes("\u0000")
      ? { path: at, message: "Must not contain a NUL character." }
      : text.isWellFormed()
        ? null
        : { path: at, message: "Must be valid Unicode text." };
  if (typeof value === "string") return check(value, path);
  if (depth > 32 || value === null || typeof value !== "object") return null;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const found = check(key, [...path, key]) ?? unstorableText(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

// No name, search or id of the panel's has a use for such text: refused with the field's path
// before any schema or query sees it (else the driver's error would be a 500).
const refuseUnstorableText = t.middleware(async ({ getRawInput, next }) => {
  const found = unstorableText(await getRawInput());
  if (found) {
    const field = found.path.join(".") || "_";
    throw new AppError("BAD_INPUT", "Please correct the highlighted fields.", { [field]: found.message });
  }
  return next();
});

// A change rides on the visitor's cookie: it must come from the panel's own page, as better-auth's
// own routes already require of theirs. Reads are not checked (another site cannot read the answer).
const refuseCrossSiteChanges = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.crossSite) throw new AppError("FORBIDDEN", "This change was sent from another site's page and was not made.");
  return next();
});

/** Every procedure starts here and must say who may call it with `.meta({ access })`. */
export const procedure = t.procedure.use(measure).use(mapAppErrors).use(refuseCrossSiteChanges).use(refuseUnstorableText).use(async ({ ctx, meta, next }) => {
  const access = meta?.access;
  if (!access) {
    // A procedure without a rule is a bug; the authorisation matrix test catches it first.
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "procedure has no access rule" });
  }
  // A token acts as its owner (checked below like any session) and no further than its scopes.
  if (ctx.token && !tokenAllows(ctx.token.scopes, access)) {
    throw new TRPCError({ code: "FORBIDDEN", message: "This API token's scopes do not allow this." });
  }
  if (access === "public") return next({ ctx: { ...ctx, scope: null as Scope | null, actor: null as Actor | null } });
  if (!ctx.auth) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  if (access !== "signedIn") {
    if (ctx.auth.needsTwoFactorSetup) {
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: "Set up two-factor authentication first." });
    }
    if (!can(ctx.auth.user.role, access)) throw new TRPCError({ code: "FORBIDDEN", message: "Not allowed." });
  }
  const scope = await loadScope(db, ctx.auth.user);
  const actor: Actor = {
    userId: ctx.auth.user.id,
    email: ctx.auth.user.email,
    impersonatorId: ctx.auth.impersonator?.id ?? null,
    apiTokenId: ctx.token?.id ?? null,
    ip: ctx.ip,
    scope,
  };
  return next({ ctx: { ...ctx, scope: scope as Scope | null, actor: actor } });
});

/** For procedures whose access is not "public": scope and actor are guaranteed. */
export function signedIn(ctx: { scope: Scope | null; actor: Actor | null }): { scope: Scope; actor: Actor } {
  if (!ctx.scope || !ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  return { scope: ctx.scope, actor: ctx.actor };
}
