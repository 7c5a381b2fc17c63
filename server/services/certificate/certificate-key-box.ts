import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { certificateEncryptionKey } from "../../contract/cluster-secrets";

// A certificate's private key as Postgres keeps it: AES-256-GCM under the certificate-key
// purpose key, "v1.<iv>.<tag>.<ciphertext>" in base64url. The certificate's id is the additional
// data, so a key copied onto another certificate's row does not decrypt.

export function sealPrivateKey(secret: string, certificateId: string, pem: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", certificateEncryptionKey(secret), iv);
  cipher.setAAD(Buffer.from(certificateId, "utf8"));
  const body = Buffer.concat([cipher.update(pem, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function openPrivateKey(secret: string, certificateId: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("Not a sealed private key.");
  const decipher = createDecipheriv("aes-256-gcm", certificateEncryptionKey(secret), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(certificateId, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}
