import { generateRandomString } from "better-auth/crypto";
import { z } from "zod";
import type { Tx } from "../db";
import { AppError, isUniqueViolation } from "../errors";
import { Role } from "../generated/prisma/enums";
import { hashPassword, passwordSchema } from "./password";
import { passwordLinkTtlSeconds, sendPasswordMail } from "./password-mail";
import { hashVerificationIdentifier, resetPasswordIdentifier } from "./verification-identifier";

/** A login's display name; better-auth's profile update applies it too (endpoint-rules.ts). */
export const loginNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name.")
  .max(120, "Use at most 120 characters.")
  .refine((v) => !/[\r\n\0]/.test(v), "Must not contain line breaks.");

const createLoginSchema = z
  .object({
    email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
    name: loginNameSchema,
    role: z.enum(Role),
    resellerId: z.string().min(1),
    customerId: z.string().min(1).nullish(),
    password: passwordSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.role === "CUSTOMER" && !v.customerId) {
      ctx.addIssue({ code: "custom", path: ["customerId"], message: "A customer login needs its customer." });
    }
    if (v.role !== "CUSTOMER" && v.customerId) {
      ctx.addIssue({ code: "custom", path: ["customerId"], message: "Only customer logins belong to a customer." });
    }
  });

export type CreateLoginInput = z.input<typeof createLoginSchema>;

/**
 * Creates a login inside the caller's transaction: the User row and the credential Account row,
 * exactly as better-auth's sign-up would (providerId "credential", accountId = user id, argon2id
 * hash), because public sign-up is disabled. Without a password the login is created without a
 * credential and the person gets a branded "set your password" mail (the reset-password flow, with
 * a longer-lived token); it is written in `tx`, so it only goes out if the transaction commits.
 * The caller checks tenancy (resellerId/customerId are in its scope) and records the audit entry.
 */
export async function createLogin(tx: Tx, input: CreateLoginInput): Promise<{ userId: string }> {
  const parsed = createLoginSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw AppError.field(String(issue.path[0] ?? "email"), issue.message);
  }
  const { email, name, role, resellerId, customerId, password } = parsed.data;

  let userId: string;
  try {
    const user = await tx.user.create({
      data: { email, name, role, resellerId, customerId: customerId ?? null },
      select: { id: true },
    });
    userId = user.id;
  } catch (e) {
    if (isUniqueViolation(e)) throw AppError.field("email", "A login with this email address already exists.", "ALREADY_EXISTS");
    throw e;
  }

  if (password) {
    await tx.account.create({
      data: { userId, accountId: userId, providerId: "credential", password: await hashPassword(password) },
    });
    return { userId };
  }

  // better-auth's reset-password endpoint accepts this token and creates the credential account.
  const token = generateRandomString(32, "a-z", "A-Z", "0-9");
  await tx.verification.create({
    data: {
      identifier: hashVerificationIdentifier(resetPasswordIdentifier(token)),
      value: userId,
      expiresAt: new Date(Date.now() + passwordLinkTtlSeconds.invite * 1000),
    },
  });
  await sendPasswordMail(tx, { user: { email, name, resellerId }, token, kind: "invite" });
  return { userId };
}
