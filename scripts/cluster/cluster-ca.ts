import { X509Certificate, createPrivateKey, randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import {
  certificateRoles,
  clusterOrganisation,
  readTlsIdentity,
  sftpHostKeyFile,
  tlsFileNames,
  type CertificateRole,
  type TlsIdentity,
} from "../../server/contract/cluster-tls";
import { runCommand } from "../../worker/agent/run-command";

// The cluster's certificate authority and the certificates it issues (server/contract/cluster-tls.ts
// says what each role may do). Made with Debian's openssl (OpenSSL 3 signs a new key's certificate
// in one `req -x509 -CA` command): no library of ours handles a private key's bytes, and the CA
// key is read by this tool alone, which `npm start`, the test set-up and an operator run; the
// control workers, the panel and the agents never get it. Keys are ECDSA P-256: small, and a
// handshake signs with them quickly (bench/README.md).
//
// Files are written owner-only (directories 0700, keys 0600) and replaced by rename, so a reader
// never sees half a file, and two set-ups racing to make the CA end with one CA, not a mix.

export const caFileNames = { key: "ca.key", cert: "ca.crt" } as const;

/** Lifetimes in days. The CA outlives many renewals; a leaf is renewed well before its end. */
export const certificateDays = { ca: 3650, leaf: 365, renewBefore: 30 } as const;

const openssl = "/usr/bin/openssl";
const p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
// No config file: only the extensions given here go into a certificate.
const noConfig = ["-config", "/dev/null"];

export type CertificateSubject = {
  role: CertificateRole;
  /** The certificate's CN: the node's name (one DNS label), or "control-plane". */
  name: string;
  /** A node's address: the SAN IP a caller checks against the address it dialled. */
  address?: string;
};

function checkSubject(subject: CertificateSubject): void {
  // Goes into openssl's -subj and -addext arguments: a DNS label only, nothing they would parse.
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(subject.name)) throw new Error(`"${subject.name}" is not a valid certificate name (one DNS label: letters, digits, hyphens).`);
  if (subject.role === certificateRoles.node && (!subject.address || isIP(subject.address) === 0)) {
    throw new Error(`A node's certificate needs the node's IP address (got "${subject.address ?? ""}").`);
  }
  if (subject.role === certificateRoles.controlPlane && subject.address) throw new Error("A control-plane certificate names no address.");
}

/** What a role's certificate carries beyond its subject: key usage, and a node's names. */
function leafExtensions(subject: CertificateSubject): string[] {
  const usage = subject.role === certificateRoles.node ? "serverAuth" : "clientAuth";
  const san = subject.role === certificateRoles.node ? [`subjectAltName=IP:${subject.address},DNS:${subject.name}`] : [];
  return [...san, `extendedKeyUsage=${usage}`, "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature"].flatMap((ext) => ["-addext", ext]);
}

async function ensurePrivateDir(dir: string): Promise<void> {
  // Parents with the usual modes (a node's root must stay passable), the directory itself 0700.
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes a file owner-only through a temporary name, so it appears whole or not at all. */
async function writePrivate(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

const exists = (file: string) =>
  readFile(file).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return false;
      throw e;
    },
  );

/**
 * Makes the CA in `dir` (ca.key, ca.crt) unless it is there. Idempotent and safe to race: the CA
 * is made in a temporary directory beside `dir` and renamed into place, and a loser of the race
 * keeps the winner's.
 */
export async function ensureClusterCa(dir: string): Promise<void> {
  if ((await exists(path.join(dir, caFileNames.key))) && (await exists(path.join(dir, caFileNames.cert)))) {
    await chmod(dir, 0o700);
    return;
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const temp = await mkdtemp(`${dir}.new-`);
  try {
    await runCommand(openssl, [
      "req", "-x509", "-new", ...p256, ...noConfig,
      "-keyout", path.join(temp, caFileNames.key),
      "-out", path.join(temp, caFileNames.cert),
      "-days", String(certificateDays.ca),
      "-subj", `/O=${clusterOrganisation}/CN=${clusterOrganisation} CA ${randomBytes(4).toString("hex")}`,
      "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await chmod(path.join(temp, caFileNames.key), 0o600);
    await chmod(temp, 0o700);
    try {
      // Replaces `dir` only if it is missing or empty (a directory made by hand, say).
      await rename(temp, dir);
    } catch (e) {
      if (!["ENOTEMPTY", "EEXIST"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
      if (!(await exists(path.join(dir, caFileNames.key)))) throw new Error(`${dir} exists but holds no CA (${caFileNames.key}); move it away and run again.`);
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** A new key and its certificate for `subject`, signed by the CA in `caDir` (PEM text). */
export async function issueCertificate(caDir: string, subject: CertificateSubject, days: number = certificateDays.leaf): Promise<{ cert: string; key: string }> {
  checkSubject(subject);
  // The key is born inside the CA's own directory (0700), never in a shared temporary one.
  const work = await mkdtemp(path.join(caDir, ".issue-"));
  try {
    const keyFile = path.join(work, "key.pem");
    const certFile = path.join(work, "cert.pem");
    await runCommand(openssl, [
      "req", "-x509", "-new", ...p256, ...noConfig,
      "-CA", path.join(caDir, caFileNames.cert),
      "-CAkey", path.join(caDir, caFileNames.key),
      "-keyout", keyFile,
      "-out", certFile,
      "-days", String(days),
      "-subj", `/O=${clusterOrganisation}/OU=${subject.role}/CN=${subject.name}`,
      ...leafExtensions(subject),
    ]);
    return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const subjectField = (cert: X509Certificate, field: string) =>
  cert.subject
    .split("\n")
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => line.slice(field.length + 1));

/**
 * Why an identity must be issued again, or null when it will do: signed by this CA (and holding
 * its certificate), for this subject, its key matching, and more than `renewBefore` days left.
 */
export function identityProblem(caCert: string, identity: TlsIdentity, subject: CertificateSubject, now = new Date()): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(identity.cert);
    if (!cert.checkPrivateKey(createPrivateKey(identity.key))) return "its key does not match its certificate";
  } catch (e) {
    return `it cannot be read (${e instanceof Error ? e.message : String(e)})`;
  }
  const ca = new X509Certificate(caCert);
  if (identity.ca.trim() !== caCert.trim()) return "it trusts another CA";
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return "it was issued by another CA";
  const [cn] = subjectField(cert, "CN");
  const ou = subjectField(cert, "OU");
  if (cn !== subject.name || ou.length !== 1 || ou[0] !== subject.role) return `it is for ${ou.join("+") || "no role"} ${cn ?? "(no name)"}, not ${subject.role} ${subject.name}`;
  if (subject.address && cert.checkIP(subject.address) === undefined) return `it does not name the address ${subject.address}`;
  const left = new Date(cert.validTo).getTime() - now.getTime();
  if (left < certificateDays.renewBefore * 86_400_000) return `it ends on ${new Date(cert.validTo).toISOString()}`;
  return null;
}

export type EnsuredIdentity = { dir: string; issued: boolean; reason: string | null; validTo: string };

/**
 * The identity in `dir` for `subject` (ca.crt, cert.pem, key.pem): kept when identityProblem()
 * finds nothing wrong with it, otherwise a new key and certificate from the CA in `caDir`.
 * Idempotent: `npm start` runs it on every start, which renews a certificate near its end.
 */
export async function ensureTlsIdentity(caDir: string, dir: string, subject: CertificateSubject): Promise<EnsuredIdentity> {
  const ensured = await ensureCertificate(caDir, dir, subject);
  // A node's gateway presents the cluster's SFTP host key: the same copy on every node.
  if (subject.role === certificateRoles.node) {
    const hostKey = await ensureSftpHostKey(caDir);
    const current = await readFile(path.join(dir, sftpHostKeyFile), "utf8").catch(() => null);
    if (current !== hostKey) await writePrivate(path.join(dir, sftpHostKeyFile), hostKey);
  }
  return ensured;
}

/**
 * The cluster's SFTP host key (ed25519, made by ssh-keygen), kept beside the CA and made once:
 * every node gets a copy, so clients see one host key whichever node answers. Returns its text.
 */
export async function ensureSftpHostKey(caDir: string): Promise<string> {
  const file = path.join(caDir, sftpHostKeyFile);
  const existing = await readFile(file, "utf8").catch(() => null);
  if (existing) return existing;
  const temp = await mkdtemp(path.join(caDir, ".sftp-key-"));
  try {
    await runCommand("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "shoal-cluster", "-f", path.join(temp, "key")]);
    const text = await readFile(path.join(temp, "key"), "utf8");
    // Two set-ups racing: the first key in place wins, the loser reads it.
    await writeFile(file, text, { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "EEXIST") throw e;
    });
    return await readFile(file, "utf8");
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function ensureCertificate(caDir: string, dir: string, subject: CertificateSubject): Promise<EnsuredIdentity> {
  checkSubject(subject);
  const caCert = await readFile(path.join(caDir, caFileNames.cert), "utf8");
  let reason: string | null = "it does not exist yet";
  try {
    const current = readTlsIdentity(dir);
    reason = identityProblem(caCert, current, subject);
    if (reason === null) {
      await chmod(dir, 0o700);
      return { dir, issued: false, reason: null, validTo: new X509Certificate(current.cert).validTo };
    }
  } catch {
    // Missing or unreadable: issued below.
  }
  const issued = await issueCertificate(caDir, subject);
  await ensurePrivateDir(dir);
  // The key first: a reader between the renames sees the old certificate with a new key, which
  // fails at once (the agent reads them only at start or on SIGHUP), never a silently wrong pair.
  await writePrivate(path.join(dir, tlsFileNames.key), issued.key);
  await writePrivate(path.join(dir, tlsFileNames.cert), issued.cert);
  await writePrivate(path.join(dir, tlsFileNames.ca), caCert);
  return { dir, issued: true, reason, validTo: new X509Certificate(issued.cert).validTo };
}
