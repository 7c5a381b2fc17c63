import { readFileSync } from "node:fs";
import path from "node:path";
import type { PeerCertificate } from "node:tls";

// The agent API runs over mutual TLS from the cluster's own CA (docs/architecture.md, "Agent
// calls are encrypted and authenticated both ways"). Each side holds one identity: a directory
// with the CA's certificate, its own certificate and its own key. What a certificate may do is
// its role, written in its subject's OU and limited by its extended key usage, so that a node's
// certificate can never pass for the control plane's:
// - "node": the agent's server certificate, for the node's address (SAN IP); serverAuth only.
// - "control-plane": the control workers' client certificate; clientAuth only.
// The CA's key is in none of these directories: only the tool that issues certificates reads it.

export const tlsFileNames = { ca: "ca.crt", cert: "cert.pem", key: "key.pem" } as const;

/** PEM text of one identity: the CA to trust, the certificate to present and its key. */
export type TlsIdentity = { ca: string; cert: string; key: string };

export const certificateRoles = { node: "node", controlPlane: "control-plane" } as const;
export type CertificateRole = (typeof certificateRoles)[keyof typeof certificateRoles];

export const extendedKeyUsage = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

/** The organisation every certificate of a Shoal cluster names, the CA's too. */
export const clusterOrganisation = "Shoal cluster";

/** Reads an identity's three files; a missing or empty one is named, with the directory. */
export function readTlsIdentity(dir: string): TlsIdentity {
  const read = (name: string) => {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new Error(`The TLS identity in ${dir} is incomplete: ${file} could not be read (${code}). Issue it with scripts/cluster/cluster-tls.ts.`);
    }
    if (!text.includes("-----BEGIN ")) throw new Error(`${file} is not a PEM file.`);
    return text;
  };
  return { ca: read(tlsFileNames.ca), cert: read(tlsFileNames.cert), key: read(tlsFileNames.key) };
}

/**
 * The cluster's SFTP host key (OpenSSH private key text), the same on every node so that a client
 * never sees a different host key when another node answers. Made once beside the CA and copied
 * into each node's TLS directory (scripts/cluster/cluster-ca.ts), owner-only like the node's key.
 */
export const sftpHostKeyFile = "sftp_host_key";

/** The node's copy of the cluster SFTP host key, or null when it has none. */
export function readSftpHostKey(dir: string): string | null {
  try {
    const text = readFileSync(path.join(dir, sftpHostKeyFile), "utf8");
    return text.includes("-----BEGIN OPENSSH PRIVATE KEY-----") ? text : null;
  } catch {
    return null;
  }
}

/**
 * Whether a TLS peer's certificate (already verified against the cluster CA by the TLS layer)
 * is the control plane's: its role and its key usage both say so.
 */
export function isControlPlaneCertificate(cert: Pick<PeerCertificate, "subject" | "ext_key_usage"> | null | undefined): boolean {
  if (!cert?.subject) return false;
  // Node gives a field that occurs more than once as an array, whatever its type says.
  const ou: unknown = cert.subject.OU;
  const roles: unknown[] = Array.isArray(ou) ? ou : [ou];
  return roles.length === 1 && roles[0] === certificateRoles.controlPlane && (cert.ext_key_usage ?? []).includes(extendedKeyUsage.clientAuth);
}

/** The base URL of an agent's API (IPv6 addresses in brackets). */
export function agentOrigin(address: string, port: number): string {
  return `https://${address.includes(":") ? `[${address}]` : address}:${port}`;
}
