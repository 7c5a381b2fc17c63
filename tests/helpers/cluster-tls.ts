import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { certificateRoles, type TlsIdentity } from "../../server/contract/cluster-tls";
import { caFileNames, ensureClusterCa, ensureTlsIdentity, issueCertificate, type CertificateSubject } from "../../scripts/cluster/cluster-ca";
import type { NodeRoot } from "../../worker/agent/node-root";

// The tests' own cluster CA and control-plane identity, apart from the one `npm start` uses
// (var/cluster-ca): made once by the test set-up (global-setup.ts) and kept in var/ like it.
// Every test process calls agents as the control plane does, through controlTransport()
// (server/contract/agent-transport.ts), which reads SHOAL_CLUSTER_TLS_DIR: set here. Agents get a
// node certificate from this CA, so tests run the agent API over mutual TLS as production does.

const repoRoot = path.resolve(import.meta.dirname, "../..");
export const testCaDir = path.join(repoRoot, "var/test-cluster-ca");
export const testControlTlsDir = path.join(repoRoot, "var/test-cluster-tls");

/** The tests' CA and control identity (idempotent), and SHOAL_CLUSTER_TLS_DIR pointing at it. */
export async function ensureTestTls(): Promise<void> {
  await ensureClusterCa(testCaDir);
  await ensureTlsIdentity(testCaDir, testControlTlsDir, { role: certificateRoles.controlPlane, name: certificateRoles.controlPlane });
  // Even over one the caller exported (npm start's): its CA signed none of the tests' nodes.
  process.env.SHOAL_CLUSTER_TLS_DIR = testControlTlsDir;
}

/** A new identity for `subject` from the CA in `caDir`, in memory. */
export async function issueIdentity(caDir: string, subject: CertificateSubject): Promise<TlsIdentity> {
  const issued = await issueCertificate(caDir, subject);
  return { ...issued, ca: await readFile(path.join(caDir, caFileNames.cert), "utf8") };
}

export const nodeSubject = (address: string, name = `node-${address.replaceAll(".", "-")}`): CertificateSubject => ({ role: certificateRoles.node, name, address });
export const controlSubject: CertificateSubject = { role: certificateRoles.controlPlane, name: certificateRoles.controlPlane };

/** A node's identity for its address from the tests' CA, in memory: for an agent a test starts in-process. */
export async function testNodeTls(node: Pick<NodeRoot, "address">, name?: string): Promise<TlsIdentity> {
  await ensureTestTls();
  return issueIdentity(testCaDir, nodeSubject(node.address, name));
}

/** The same in the node's tls directory, where an agent process reads it (AGENT_TLS_DIR's default). */
export async function ensureTestNodeTlsFiles(node: Pick<NodeRoot, "address" | "tlsDir">, name?: string): Promise<void> {
  await ensureTestTls();
  await ensureTlsIdentity(testCaDir, node.tlsDir, nodeSubject(node.address, name));
}

/**
 * A CA of its own in a temporary directory: another cluster's, whose certificates the tests'
 * agents and control plane must refuse, or the only one where a test has no set-up (unit tests).
 */
export async function throwawayCa(): Promise<{ dir: string; issue(subject: CertificateSubject): Promise<TlsIdentity>; remove(): Promise<void> }> {
  const base = await mkdtemp(path.join(tmpdir(), "shoal-ca-"));
  const dir = path.join(base, "ca");
  await ensureClusterCa(dir);
  return { dir, issue: (subject) => issueIdentity(dir, subject), remove: () => rm(base, { recursive: true, force: true }) };
}
