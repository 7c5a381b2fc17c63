import { AppError } from "../../../errors";
import { setOriginalSessionCookie, setSessionCookie } from "../../../auth/session-cookie";
import { startImpersonation as start } from "../../../services/session/start-impersonation";
import { procedure, signedIn } from "../../init";
import { startImpersonationInput, startImpersonationOutput } from "./start-impersonation.schema";

export const startImpersonation = procedure
  .meta({ access: "impersonate" })
  .input(startImpersonationInput)
  .output(startImpersonationOutput)
  .mutation(async ({ ctx, input }) => {
    const { actor } = signedIn(ctx);
    if (!ctx.auth || !ctx.resHeaders) throw new AppError("INTERNAL", "This call needs a browser session.");
    const session = await start(actor, {
      userId: input.userId,
      currentSessionId: ctx.auth.sessionId,
      userAgent: ctx.headers.get("user-agent"),
    });
    await setOriginalSessionCookie(ctx.resHeaders, session.original.token, session.original.expiresAt);
    await setSessionCookie(ctx.resHeaders, session.token, session.expiresAt);
    // The home page sends each role to its own dashboard.
    return { redirectTo: "/" };
  });
