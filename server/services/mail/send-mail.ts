import { z } from "zod";
import { db, type Db, type Tx } from "../../db";
import { AppError } from "../../errors";
import { escapeHtml } from "./escape-html";
import { presentingReseller } from "../brand/presenting-reseller";
import { panelUrlFor } from "./panel-url";

// Header injection: the address and subject end up in SMTP headers when delivery is wired.
const headerSafe = (max: number) =>
  z.string().min(1).max(max).refine((v) => !/[\r\n\0]/.test(v), "must not contain line breaks");

const mailSchema = z.object({
  /** Whose brand the mail carries; the platform's own id for admins. */
  resellerId: z.string().min(1),
  to: z.email().max(254).pipe(headerSafe(254)),
  subject: headerSafe(200),
  /** Body only: sendMail adds the brand's greeting frame and footer. */
  text: z.string().max(20_000),
  /** Body only, already escaped by the caller (use escapeHtml for every value). */
  html: z.string().max(50_000),
});
export type MailInput = z.infer<typeof mailSchema>;

/**
 * Queues a mail under the reseller's brand (or the ancestor's it presents under): sender name, support address and primary colour come
 * from Brand, and nothing else is added, so a reseller's customer never sees the platform's name.
 * Dev and tests deliver nothing; the MailMessage row is the mail. Pass `tx` to send only if the
 * caller's transaction commits.
 */
export async function sendMail(input: MailInput, client: Db | Tx = db): Promise<{ id: string }> {
  const mail = mailSchema.parse(input);
  // The brand and host the recipient knows: a sub-reseller without its own host mails under the
  // ancestor whose panel its customers use (presentingReseller).
  const presenting = await presentingReseller(mail.resellerId, client);
  const brand = await client.brand.findUnique({
    where: { resellerId: presenting.resellerId },
    select: { displayName: true, emailSenderName: true, supportEmail: true, primaryColor: true },
  });
  if (!brand) throw AppError.notFound("Brand");
  const panelUrl = await panelUrlFor(mail.resellerId, client);
  const fromName = (brand.emailSenderName ?? brand.displayName).replace(/[\r\n\0"]/g, " ");
  const fromAddress = brand.supportEmail ?? `no-reply@${new URL(panelUrl).hostname}`;
  const colour = /^#[0-9a-fA-F]{6}$/.test(brand.primaryColor) ? brand.primaryColor : "#0f766e";
  const name = escapeHtml(brand.displayName);
  const support = brand.supportEmail
    ? `Questions? Write to <a href="mailto:${escapeHtml(brand.supportEmail)}">${escapeHtml(brand.supportEmail)}</a>.`
    : "";

  const text = [
    mail.text.trimEnd(),
    "",
    "--",
    brand.displayName,
    brand.supportEmail ? `Questions? Write to ${brand.supportEmail}.` : "",
  ]
    .join("\n")
    .trimEnd();
  const html = `<!doctype html>
<html><body style="margin:0;padding:24px;background:#f4f4f5;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#18181b">
<table role="presentation" width="100%" style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;overflow:hidden">
<tr><td style="background:${colour};color:#ffffff;padding:16px 24px;font-size:18px;font-weight:600">${name}</td></tr>
<tr><td style="padding:24px;font-size:15px;line-height:1.5">${mail.html}</td></tr>
<tr><td style="padding:16px 24px;font-size:12px;color:#52525b;border-top:1px solid #e4e4e7">${name}. ${support}</td></tr>
</table></body></html>`;

  const row = await client.mailMessage.create({
    data: { resellerId: mail.resellerId, toAddress: mail.to, fromName, fromAddress, subject: mail.subject, text, html },
    select: { id: true },
  });
  return row;
}
