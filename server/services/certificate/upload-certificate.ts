import { rootCertificates } from "node:tls";
import { db } from "../../db";
import { siteWhere } from "../../auth/scope";
import { AppError } from "../../errors";
import { checkCertificate, type CertificateFields } from "../../domain/tls-certificate";
import type { Actor } from "../actor";
import { recordChange } from "../audit/record-change";
import { sealPrivateKey } from "./certificate-key-box";

// A customer's own certificate for a site: checked field by field (key matches, chain complete to a
// trusted root, dates, names cover the site's domain), its key sealed with the certificate-key
// purpose key (the panel holds that key, never the cluster secret), and every front door told.
// An uploaded certificate is never ordered or renewed by the platform: it is the customer's.
// `extraRoots`: roots trusted beside the system's (a private CA; Pebble's in tests).

export type UploadCertificateInput = CertificateFields & { siteId: string };

export async function uploadCertificate(
  actor: Actor,
  input: UploadCertificateInput,
  opts: { certificateKey: string | undefined; extraRoots?: readonly string[]; now?: Date },
): Promise<{ id: string; names: string[]; notAfter: Date }> {
  if (!opts.certificateKey) throw new AppError("PRECONDITION_FAILED", "Certificates cannot be uploaded: the certificate key is not configured.");
  const site = await db.site.findFirst({
    where: { id: input.siteId, deletedAt: null, ...siteWhere(actor.scope) },
    select: { id: true, domain: { select: { name: true } }, certificate: { select: { id: true } }, account: { select: { customer: { select: { id: true, resellerId: true } } } } },
  });
  if (!site) throw AppError.notFound("Site");
  const checked = checkCertificate(input, { domains: [site.domain.name], now: opts.now ?? new Date(), trustedRoots: [...rootCertificates, ...(opts.extraRoots ?? [])] });
  if (!checked.ok) throw new AppError("BAD_INPUT", "The certificate cannot be used; see each field.", checked.errors);
  const cert = checked.value;
  return db.$transaction(async (tx) => {
    const row = site.certificate ?? (await tx.certificate.create({ data: { siteId: site.id, domains: [site.domain.name] }, select: { id: true } }));
    await tx.certificate.update({
      where: { id: row.id },
      data: {
        source: "UPLOADED",
        status: "ISSUED",
        domains: [site.domain.name],
        chainPem: cert.fullChain,
        keyEncrypted: sealPrivateKey(opts.certificateKey!, row.id, cert.privateKey),
        issuer: cert.issuer,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        nextAttemptAt: null,
        failures: 0,
        failureReason: null,
        lastError: null,
      },
    });
    await recordChange(tx, actor, {
      action: "certificate.upload",
      targetType: "Certificate",
      targetId: row.id,
      resellerId: site.account.customer.resellerId,
      customerId: site.account.customer.id,
      after: { site: site.id, names: cert.names, issuer: cert.issuer, notAfter: cert.notAfter.toISOString() },
      outbox: { topic: "certificate.changed" },
    });
    return { id: row.id, names: cert.names, notAfter: cert.notAfter };
  });
}
