import { AppError } from "../../../errors";
import {
  clearOriginalSessionCookie,
  clearSessionCookie,
  readOriginalSessionToken,
  setSessionCookie,
} from "../../../auth/session-cookie";
import { stopImpersonation as stop } from "../../../services/session/stop-impersonation";
import { procedure, signedIn } from "../../init";
import { stopImpersonationInput, stopImpersonationOutput } from "./stop-impersonation.schema";

export const stopImpersonation = procedure
  .meta({ access: "signedIn" })
  .input(stopImpersonationInput)
  .output(stopImpersonationOutput)
  .mutation(async ({ ctx }) => {
    const { actor } = signedIn(ctx);
    if (!ctx.auth || !ctx.resHeaders) throw new AppError("INTERNAL", "This call needs a browser session.");
    const { restored } = await stop(actor, {
      currentSessionId: ctx.auth.sessionId,
      originalToken: readOriginalSessionToken(ctx.headers),
    });
    await clearOriginalSessionCookie(ctx.resHeaders);
    if (!restored) {
      await clearSessionCookie(ctx.resHeaders);
      return { redirectTo: "/sign-in" };
    }
    await setSessionCookie(ctx.resHeaders, restored.token, restored.expiresAt);
    return { redirectTo: "/" };
  });
