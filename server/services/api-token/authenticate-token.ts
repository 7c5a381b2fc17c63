import { BlockList, isIP } from "node:net";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { AuthState } from "../../auth/auth-state";
import { parseToken, secretMatches } from "./token-secret";

export type TokenIdentity = { id: string; scopes: string[]; auth: AuthState };

// Writing lastUsedAt on every call would make each read a write; a minute of slack is invisible.
const TOUCH_AFTER_MS = 60_000;
const twoFactorRequired = new Set(["ADMIN", "RESELLER"]);

/** Whether `ip` is inside one of `cidrs` ("203.0.113.0/24", "2001:db8::/32", or a bare address). */
export function ipAllowed(ip: string | null, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const family = ip ? isIP(ip) : 0;
  if (!ip || !family) return false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = "", bits] = cidr.split("/");
    const f = isIP(address);
    if (!f) continue;
    const type = f === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list.check(ip, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The identity behind an `Authorization: Bearer` token, checked on every call: the secret, not
 * revoked, not expired, the client's network, and an owner who may still sign in. What the owner
 * may reach (role, suspended reseller or customer) is checked after this by the same procedure
 * middleware as a panel session, so a token stops working with its owner.
 */
export async function authenticateToken(token: string, ip: string | null, now = new Date()): Promise<TokenIdentity> {
  const unknown = () => new AppError("UNAUTHENTICATED", "This API token is not valid.");
  const parsed = parseToken(token);
  if (!parsed) throw unknown();
  const row = await db.apiToken.findUnique({
    where: { prefix: parsed.prefix },
    select: {
      id: true,
      secretHash: true,
      scopes: true,
      allowedCidrs: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
      user: { select: { id: true, email: true, name: true, role: true, resellerId: true, customerId: true, twoFactorEnabled: true, disabledAt: true } },
    },
  });
  if (!row || !secretMatches(parsed.secret, row.secretHash)) throw unknown();
  if (row.revokedAt) throw new AppError("UNAUTHENTICATED", "This API token was revoked.");
  if (row.expiresAt && row.expiresAt <= now) throw new AppError("UNAUTHENTICATED", "This API token has expired.");
  const { disabledAt, ...user } = row.user;
  if (disabledAt) throw new AppError("UNAUTHENTICATED", "This API token's owner can no longer sign in.");
  if (!ipAllowed(ip, row.allowedCidrs)) throw new AppError("FORBIDDEN", "This API token may not be used from your network.");
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_AFTER_MS) {
    await db.apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: now, lastUsedIp: ip } });
  }
  return {
    id: row.id,
    scopes: row.scopes,
    auth: {
      user,
      sessionId: `api-token:${row.id}`,
      impersonator: null,
      needsTwoFactorSetup: twoFactorRequired.has(user.role) && !user.twoFactorEnabled,
    },
  };
}
