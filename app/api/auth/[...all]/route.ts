import { auth } from "@/server/auth/auth";
import { getAuthState } from "@/server/auth/get-auth-state";

// getAuthState first: it deletes a session past its idle or absolute limit, so better-auth's own
// endpoints (2FA set-up, sign-out) never act on one.
async function handler(req: Request): Promise<Response> {
  await getAuthState(req.headers);
  return auth.handler(req);
}

export { handler as GET, handler as POST };
