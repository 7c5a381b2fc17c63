import { parseCookies, serializeCookie, serializeSignedCookie } from "better-call";
import { auth } from "./auth";

// "Log in as" swaps the session cookie outside better-auth's endpoints (from a tRPC procedure),
// so it writes the same signed cookie better-auth would, with better-auth's own name and
// attributes. The real person's session token waits in a second httpOnly cookie; it is only ever
// honoured after checking that it is a live session of the impersonating user (stop-impersonation).
const ORIGINAL_SESSION_COOKIE = "panel.original_session";

async function sessionCookieConfig() {
  const ctx = await auth.$context;
  return { ctx, name: ctx.authCookies.sessionToken.name, attributes: ctx.authCookies.sessionToken.attributes };
}

export async function setSessionCookie(resHeaders: Headers, token: string, expiresAt: Date): Promise<void> {
  const { ctx, name, attributes } = await sessionCookieConfig();
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  resHeaders.append("set-cookie", await serializeSignedCookie(name, token, ctx.secret, { ...attributes, maxAge }));
}

export async function clearSessionCookie(resHeaders: Headers): Promise<void> {
  const { name, attributes } = await sessionCookieConfig();
  resHeaders.append("set-cookie", serializeCookie(name, "", { ...attributes, maxAge: 0 }));
}

export async function setOriginalSessionCookie(resHeaders: Headers, token: string, expiresAt: Date): Promise<void> {
  const { attributes } = await sessionCookieConfig();
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  resHeaders.append("set-cookie", serializeCookie(ORIGINAL_SESSION_COOKIE, token, { ...attributes, maxAge }));
}

export async function clearOriginalSessionCookie(resHeaders: Headers): Promise<void> {
  const { attributes } = await sessionCookieConfig();
  resHeaders.append("set-cookie", serializeCookie(ORIGINAL_SESSION_COOKIE, "", { ...attributes, maxAge: 0 }));
}

export function readOriginalSessionToken(headers: Headers): string | null {
  const cookie = headers.get("cookie");
  if (!cookie) return null;
  return parseCookies(cookie).get(ORIGINAL_SESSION_COOKIE) || null;
}
