import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { AppError } from "../../server/errors";

export type Failure = { code: string; appCode: string | null; fields: Record<string, string> };

/**
 * Awaits a call that must fail and returns what the client would learn: the tRPC code, the
 * AppError code, and the per-field messages (from an AppError or a zod input error, keyed by the
 * dotted path exactly as the error formatter does).
 */
export async function expectFailure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof TRPCError)) throw e;
    const cause = e.cause;
    if (cause instanceof AppError) return { code: e.code, appCode: cause.code, fields: cause.fieldErrors ?? {} };
    if (cause instanceof z.ZodError) {
      const fields: Record<string, string> = {};
      for (const issue of cause.issues) fields[issue.path.join(".") || "_"] ??= issue.message;
      return { code: e.code, appCode: "BAD_INPUT", fields };
    }
    return { code: e.code, appCode: null, fields: {} };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
