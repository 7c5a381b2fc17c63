import type { Db, Tx } from "../db";
import { escapeHtml } from "../services/mail/escape-html";
import { panelUrlFor } from "../services/mail/panel-url";
import { sendMail } from "../services/mail/send-mail";

export type PasswordMailKind = "reset" | "invite";

/** How long a link stays valid: a reset is urgent and short; an invitation waits for the person. */
export const passwordLinkTtlSeconds: Record<PasswordMailKind, number> = { reset: 60 * 60, invite: 72 * 60 * 60 };

/**
 * The "reset your password" and "set your password" mails: one page (/reset-password/new) serves
 * both, under the brand of the reseller the user belongs to.
 */
export async function sendPasswordMail(
  client: Db | Tx,
  { user, token, kind }: { user: { email: string; name: string; resellerId: string }; token: string; kind: PasswordMailKind },
): Promise<void> {
  const base = await panelUrlFor(user.resellerId, client);
  const link = `${base}/reset-password/new?token=${encodeURIComponent(token)}`;
  const hours = passwordLinkTtlSeconds[kind] / 3600;
  const valid = hours === 1 ? "one hour" : `${hours} hours`;
  const subject = kind === "invite" ? "Set your password" : "Reset your password";
  const intro =
    kind === "invite"
      ? "A login to your hosting control panel has been created for you. Choose a password to start using it:"
      : "Someone asked to reset the password of your hosting control panel login. To choose a new one, open this link:";
  const outro =
    kind === "invite"
      ? `The link works once and for ${valid}. If it has expired, use "Forgot password" on the sign-in page.`
      : `The link works once and for ${valid}. If you did not ask for this, ignore this mail: your password stays as it is.`;

  await sendMail(
    {
      resellerId: user.resellerId,
      to: user.email,
      subject,
      text: `Hello ${user.name},\n\n${intro}\n\n${link}\n\n${outro}\n`,
      html:
        `<p>Hello ${escapeHtml(user.name)},</p><p>${escapeHtml(intro)}</p>` +
        `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#18181b;color:#ffffff;border-radius:6px;text-decoration:none">${subject}</a></p>` +
        `<p style="font-size:13px;color:#52525b">Or copy this address: ${escapeHtml(link)}</p>` +
        `<p style="font-size:13px;color:#52525b">${escapeHtml(outro)}</p>`,
    },
    client,
  );
}
