import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

// A certificate a customer uploads (or an ACME order returns), checked before anything is stored:
// the leaf, its chain and its key, each field judged on its own so the form can say which one is
// wrong. Pure apart from node:crypto's parsers; the trusted roots are passed in (the system's
// bundle in the product, a test CA's root in tests).

/** PEM text bounds: a leaf with many names is a few kilobytes; a chain of four under 16 KB. */
export const maxPemLength = 65_536;
const maxChainLength = 6;

export type CertificateFields = { certificate: string; chain: string; privateKey: string };
export type CertificateFieldErrors = Partial<Record<keyof CertificateFields, string>>;

export type ValidCertificate = {
  /** The leaf followed by its intermediates, PEM, as nginx's ssl_certificate takes it. */
  fullChain: string;
  /** The key in PKCS#8 PEM (unencrypted; the caller encrypts it before it is stored). */
  privateKey: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  issuer: string;
  serial: string;
};

export type CertificateCheck = { ok: true; value: ValidCertificate } | { ok: false; errors: CertificateFieldErrors };

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/g;

/** The PEM blocks of `text` by label, in order; anything else but whitespace is an error. */
export function pemBlocks(text: string): { blocks: { label: string; pem: string }[]; stray: boolean } {
  const blocks: { label: string; pem: string }[] = [];
  let rest = text;
  for (const match of text.matchAll(pemBlock)) {
    blocks.push({ label: match[1]!, pem: `${match[0].replace(/\r\n/g, "\n")}\n` });
    rest = rest.replace(match[0], "");
  }
  return { blocks, stray: rest.trim() !== "" };
}

function parseCertificates(text: string, what: string): { certs: X509Certificate[] } | { error: string } {
  if (text.length > maxPemLength) return { error: `${what} is too long (at most ${maxPemLength} characters).` };
  const { blocks, stray } = pemBlocks(text);
  if (stray) return { error: `${what} must be PEM text only ("-----BEGIN CERTIFICATE-----" blocks), nothing around them.` };
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    if (block.label !== "CERTIFICATE") return { error: `Block ${i + 1} of ${what.toLowerCase()} is a ${block.label}, not a CERTIFICATE.` };
    try {
      certs.push(new X509Certificate(block.pem));
    } catch {
      return { error: `Block ${i + 1} of ${what.toLowerCase()} is not a readable certificate.` };
    }
  }
  return { certs };
}

/** The DNS names a certificate is for (its subjectAltName; the CN only when there is none). */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(", ")
      .filter((entry) => entry.startsWith("DNS:"))
      .map((entry) => entry.slice(4).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** Whether `name` is covered by `pattern` ("*.example.com" covers one label, not the apex). */
export function nameCovers(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

function keyProblem(key: KeyObject): string | null {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") return (details?.modulusLength ?? 0) >= 2048 ? null : "An RSA key must be at least 2048 bits.";
  if (key.asymmetricKeyType === "ec") {
    return details?.namedCurve === "prime256v1" || details?.namedCurve === "secp384r1" ? null : "An EC key must be on P-256 or P-384.";
  }
  return "The key must be RSA (2048 bits or more) or EC (P-256 or P-384).";
}

const issued = (child: X509Certificate, parent: X509Certificate) => child.checkIssued(parent) && child.verify(parent.publicKey);

/**
 * Checks an uploaded certificate for `domains` at `now`: the key is readable and matches, the chain
 * leads from the leaf to one of `trustedRoots` (or to a root included at its end that is one of
 * them), the dates hold, and the names cover every domain. Errors by field, all of them at once.
 */
export function checkCertificate(
  input: CertificateFields,
  opts: { domains: readonly string[]; now: Date; trustedRoots: readonly string[] },
): CertificateCheck {
  const errors: CertificateFieldErrors = {};
  const leafParsed = input.certificate.trim() === "" ? { error: "Paste the certificate (PEM)." } : parseCertificates(input.certificate, "The certificate");
  let leaf: X509Certificate | null = null;
  if ("error" in leafParsed) errors.certificate = leafParsed.error;
  else if (leafParsed.certs.length === 0) errors.certificate = "Paste the certificate (PEM).";
  else leaf = leafParsed.certs[0]!;
  // A full chain pasted into the certificate field is accepted: the rest is the chain.
  const extra = "certs" in leafParsed ? leafParsed.certs.slice(1) : [];

  const chainParsed = parseCertificates(input.chain, "The chain");
  let chain: X509Certificate[] = extra;
  if ("error" in chainParsed) errors.chain = chainParsed.error;
  else chain = [...extra, ...chainParsed.certs];
  if (chain.length > maxChainLength) errors.chain = `A chain has at most ${maxChainLength} certificates.`;

  let key: KeyObject | null = null;
  if (input.privateKey.trim() === "") errors.privateKey = "Paste the private key (PEM).";
  else if (input.privateKey.length > maxPemLength) errors.privateKey = `The key is too long (at most ${maxPemLength} characters).`;
  else if (/ENCRYPTED/.test(input.privateKey)) errors.privateKey = "The key is protected by a passphrase: paste it without one.";
  else {
    const { blocks, stray } = pemBlocks(input.privateKey);
    if (stray || blocks.length !== 1 || !/PRIVATE KEY$/.test(blocks[0]!.label)) errors.privateKey = "Paste exactly one private key in PEM (\"-----BEGIN PRIVATE KEY-----\").";
    else {
      try {
        key = createPrivateKey(blocks[0]!.pem);
      } catch {
        errors.privateKey = "This is not a readable private key.";
      }
      const problem = key ? keyProblem(key) : null;
      if (problem) {
        errors.privateKey = problem;
        key = null;
      }
    }
  }

  if (leaf) {
    const problem = leafProblem(leaf, opts);
    if (problem) errors.certificate = problem;
    else if (key && !leaf.checkPrivateKey(key)) errors.privateKey = "This key does not belong to the certificate.";
  }
  if (leaf && !errors.chain) {
    const problem = chainProblem(leaf, chain, opts);
    if (problem) errors.chain = problem;
  }
  if (!leaf || !key || Object.keys(errors).length > 0) return { ok: false, errors };
  // The chain sent to browsers stops before a root: they have their own.
  const roots = new Set(opts.trustedRoots.map((pem) => new X509Certificate(pem).fingerprint256));
  const sent = chain.filter((c) => !roots.has(c.fingerprint256));
  return {
    ok: true,
    value: {
      fullChain: [leaf, ...sent].map((c) => c.toString()).join(""),
      privateKey: key.export({ type: "pkcs8", format: "pem" }).toString(),
      names: certificateNames(leaf),
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      issuer: leaf.issuer.split("\n").find((l) => l.startsWith("CN="))?.slice(3) ?? leaf.issuer.replace(/\n/g, ", "),
      serial: leaf.serialNumber,
    },
  };
}

function leafProblem(leaf: X509Certificate, opts: { domains: readonly string[]; now: Date }): string | null {
  if (leaf.ca) return "This is a CA certificate, not a site's certificate.";
  const from = new Date(leaf.validFrom);
  const to = new Date(leaf.validTo);
  if (opts.now < from) return `This certificate is not valid before ${from.toISOString()}.`;
  if (opts.now >= to) return `This certificate expired on ${to.toISOString()}.`;
  const names = certificateNames(leaf);
  const missing = opts.domains.filter((d) => !names.some((n) => nameCovers(n, d)));
  if (missing.length > 0) return `This certificate is for ${names.join(", ") || "no name"}, not for ${missing.join(", ")}.`;
  return null;
}

function chainProblem(leaf: X509Certificate, chain: X509Certificate[], opts: { now: Date; trustedRoots: readonly string[] }): string | null {
  const roots = opts.trustedRoots.map((pem) => new X509Certificate(pem));
  const isRoot = (c: X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
  let current = leaf;
  for (const [i, next] of chain.entries()) {
    if (!issued(current, next)) {
      return i === 0 ? "The chain's first certificate did not issue the site's certificate: paste the intermediates in order, leaf's issuer first." : `Certificate ${i + 1} of the chain did not issue certificate ${i}: the chain is out of order or mixed.`;
    }
    if (opts.now >= new Date(next.validTo)) return `Certificate ${i + 1} of the chain expired on ${new Date(next.validTo).toISOString()}.`;
    current = next;
    if (isRoot(current)) return null;
  }
  if (roots.some((r) => issued(current, r))) return null;
  if (current === leaf && current.checkIssued(current)) return "This certificate is self-signed: browsers will not trust it.";
  return "The chain is incomplete: it does not reach a trusted root. Paste the intermediate certificates your certificate authority gave you.";
}
