import { isIP } from "node:net";
import { z } from "zod";
import { tokenFamilies } from "../../../auth/token-scopes";
import { safeText } from "../../../domain/safe-text";

export const tokenScopeSchema = z.enum(tokenFamilies.flatMap((f) => [`${f}:read`, `${f}:write`] as const) as [string, ...string[]]);

/** "203.0.113.0/24", "2001:db8::/48" or a bare address; the prefix length within its family. */
export const cidrSchema = z
  .string()
  .trim()
  .max(64)
  .refine((value) => {
    const [address = "", bits, ...rest] = value.split("/");
    const family = isIP(address);
    if (!family || rest.length) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 6 ? 128 : 32);
  }, "Write an address or a network, like 203.0.113.0/24.");

export const apiTokenOutput = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.string()),
  allowedCidrs: z.array(z.string()),
  expiresAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  lastUsedIp: z.string().nullable(),
  revokedAt: z.date().nullable(),
  createdAt: z.date(),
});

export const apiTokenNameSchema = safeText(80);
