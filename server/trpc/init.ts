import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { db } from "../db";
import { AppError, appErrorCodes, type FieldErrors } from "../errors";
import type { AuthState } from "../auth/auth-state";
import { getAuthState } from "../auth/get-auth-state";
import { can, type Access } from "../auth/permissions";
import type { Scope } from "../auth/scope";
import { loadScope } from "../auth/load-scope";
import type { Actor } from "../services/actor";
import { clientIp } from "../http/client-ip";
import { panelMetrics } from "../observability/panel-metrics";

export type Context = {
  headers: Headers;
  ip: string | null;
  auth: AuthState | null;
  /** Response headers, for the few procedures that set cookies ("log in as"). */
  resHeaders?: Headers;
};

export async function createContext(opts: { headers: Headers; resHeaders?: Headers }): Promise<Context> {
  const auth = await getAuthState(opts.headers);
  return { headers: opts.headers, ip: clientIp(opts.headers), auth, resHeaders: opts.resHeaders };
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
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const app = cause instanceof AppError ? cause : null;
      const zod = cause instanceof z.ZodError ? cause : null;
      return {
        ...shape,
        message: zod ? "Please correct the highlighted fields." : shape.message,
        data: {
          ...shape.data,
          stack: undefined,
          appCode: app?.code ?? (zod ? "BAD_INPUT" : null),
          fieldErrors: app?.fieldErrors ?? (zod ? zodFieldErrors(zod) : null),
        },
      };
    },
  });

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

/** Every procedure starts here and must say who may call it with `.meta({ access })`. */
export const procedure = t.procedure.use(measure).use(mapAppErrors).use(async ({ ctx, meta, next }) => {
  const access = meta?.access;
  if (!access) {
    // A procedure without a rule is a bug; the authorisation matrix test catches it first.
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "procedure has no access rule" });
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
