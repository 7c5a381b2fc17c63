import { createHash } from "node:crypto";
import ssh2 from "ssh2";

// A customer's SSH public key, as pasted into the panel: one OpenSSH line ("ssh-ed25519 AAAA...
// comment"). ssh2's parser does the decoding; this keeps only what a gateway needs (the type and
// the key's wire bytes, re-encoded by us, so nothing of the customer's text reaches a node), and
// refuses what would be a mistake or a weak key: a private key, several keys, DSA, RSA under
// 2048 bits.

const { utils } = ssh2;

export const sshKeyAlgorithms = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
] as const;
export type SshKeyAlgorithm = (typeof sshKeyAlgorithms)[number];

export type ParsedPublicKey = {
  algorithm: SshKeyAlgorithm;
  /** "<type> <base64>": the canonical one-line form, without a comment. */
  publicKey: string;
  /** "SHA256:<base64 without padding>", as `ssh-keygen -l` prints it. */
  fingerprint: string;
  comment: string;
};

export type ParseResult = { ok: true; value: ParsedPublicKey } | { ok: false; error: string };

export const MAX_PUBLIC_KEY_LENGTH = 16_384;

export function sshFingerprint(wire: Buffer): string {
  return `SHA256:${createHash("sha256").update(wire).digest("base64").replace(/=+$/, "")}`;
}

/** The RSA modulus's bit length from the key's wire form (string type, mpint e, mpint n). */
function rsaBits(wire: Buffer): number {
  let at = 0;
  const next = (): Buffer => {
    const length = wire.readUInt32BE(at);
    const value = wire.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  next();
  next();
  const n = next();
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  if (start === n.length) return 0;
  return (n.length - start - 1) * 8 + (32 - Math.clz32(n[start]!));
}

export function parseSshPublicKey(input: string): ParseResult {
  const text = input.trim();
  if (text === "") return { ok: false, error: "Paste a public key, such as the contents of ~/.ssh/id_ed25519.pub." };
  if (text.length > MAX_PUBLIC_KEY_LENGTH) return { ok: false, error: "This is too long to be one public key." };
  if (/PRIVATE KEY/.test(text)) {
    return { ok: false, error: "This is a private key. Never share it: paste the public key (the .pub file) instead." };
  }
  if (/[\r\n]/.test(text)) return { ok: false, error: "Paste one key on one line; add further keys one at a time." };
  if (/[\u0000-\u001f\u007f]/.test(text)) return { ok: false, error: "The key contains control characters." };
  const [type, blob, ...rest] = text.split(/\s+/);
  if (type === "ssh-dss") return { ok: false, error: "DSA keys are no longer accepted by OpenSSH. Use an Ed25519 key (ssh-keygen -t ed25519)." };
  if (!sshKeyAlgorithms.includes(type as SshKeyAlgorithm)) {
    return { ok: false, error: "Not an OpenSSH public key: it should start with ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa." };
  }
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return { ok: false, error: "The key's data is not valid base64." };
  const parsed = utils.parseKey(`${type} ${blob}`);
  if (parsed instanceof Error || Array.isArray(parsed)) return { ok: false, error: "The key could not be read: check that it was copied whole." };
  if (parsed.isPrivateKey()) return { ok: false, error: "This is a private key. Paste the public key (the .pub file) instead." };
  if (parsed.type !== type) return { ok: false, error: `The key says "${type}" but its data is a ${parsed.type} key.` };
  const wire = parsed.getPublicSSH();
  if (type === "ssh-rsa" && rsaBits(wire) < 2048) return { ok: false, error: "RSA keys must have at least 2048 bits. Use an Ed25519 key (ssh-keygen -t ed25519)." };
  const comment = rest.join(" ").slice(0, 200);
  return {
    ok: true,
    value: { algorithm: type as SshKeyAlgorithm, publicKey: `${type} ${wire.toString("base64")}`, fingerprint: sshFingerprint(wire), comment },
  };
}
