import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTlsIdentity } from "../../../server/contract/cluster-tls";
import { certificateDays, ensureClusterCa, ensureTlsIdentity, identityProblem, issueCertificate } from "../../../scripts/cluster/cluster-ca";
import { controlSubject, nodeSubject, throwawayCa } from "../../helpers/cluster-tls";

// The certificate tool npm start, the tests and an operator use (runs Debian's openssl): the CA
// is made once and kept, identities are owner-only, kept while good and issued again when they
// no longer fit (another address, another CA, near their end), and names that could be read as
// openssl syntax are refused.

let base: string;
let caDir: string;
const mode = async (p: string) => (await stat(p)).mode & 0o777;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "shoal-ca-test-"));
  caDir = path.join(base, "ca");
  await ensureClusterCa(caDir);
});
afterAll(() => rm(base, { recursive: true, force: true }));

describe("ensureClusterCa", () => {
  it("makes a P-256 CA, owner-only, and keeps it on the next call (also when several race)", async () => {
    const first = await readFile(path.join(caDir, "ca.crt"), "utf8");
    const ca = new X509Certificate(first);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(await mode(caDir)).toBe(0o700);
    expect(await mode(path.join(caDir, "ca.key"))).toBe(0o600);
    await ensureClusterCa(caDir);
    expect(await readFile(path.join(caDir, "ca.crt"), "utf8")).toBe(first);

    const raced = path.join(base, "raced");
    await Promise.all([1, 2, 3, 4].map(() => ensureClusterCa(raced)));
    const key = await readFile(path.join(raced, "ca.key"), "utf8");
    const cert = new X509Certificate(await readFile(path.join(raced, "ca.crt"), "utf8"));
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(key))).toBe(true);
  });
});

describe("ensureTlsIdentity", () => {
  it("writes a node's identity owner-only: its address and name, server use only, from this CA", async () => {
    const dir = path.join(base, "node-1");
    const done = await ensureTlsIdentity(caDir, dir, nodeSubject("127.0.1.1", "node-1"));
    expect(done).toMatchObject({ issued: true, reason: "it does not exist yet" });
    expect(await mode(dir)).toBe(0o700);
    for (const f of ["ca.crt", "cert.pem", "key.pem"]) expect(await mode(path.join(dir, f))).toBe(0o600);
    const identity = readTlsIdentity(dir);
    const cert = new X509Certificate(identity.cert);
    expect(cert.subject).toBe("O=Shoal cluster\nOU=node\nCN=node-1");
    expect(cert.subjectAltName).toBe("IP Address:127.0.1.1, DNS:node-1");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.ca).toBe(false);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(certificateDays.leaf - 1);
    expect(days).toBeLessThanOrEqual(certificateDays.leaf);
  });

  it("keeps a good identity, and issues again for another address or another CA", async () => {
    const dir = path.join(base, "node-2");
    await ensureTlsIdentity(caDir, dir, nodeSubject("127.0.1.2", "node-2"));
    const before = readTlsIdentity(dir).cert;
    expect(await ensureTlsIdentity(caDir, dir, nodeSubject("127.0.1.2", "node-2"))).toMatchObject({ issued: false });
    expect(readTlsIdentity(dir).cert).toBe(before);

    expect(await ensureTlsIdentity(caDir, dir, nodeSubject("127.0.1.22", "node-2"))).toMatchObject({ issued: true, reason: "it does not name the address 127.0.1.22" });
    const other = await throwawayCa();
    try {
      expect(await ensureTlsIdentity(other.dir, dir, nodeSubject("127.0.1.22", "node-2"))).toMatchObject({ issued: true, reason: "it trusts another CA" });
      expect(new X509Certificate(readTlsIdentity(dir).cert).checkIssued(new X509Certificate(await readFile(path.join(other.dir, "ca.crt"), "utf8")))).toBe(true);
    } finally {
      await other.remove();
    }
  });

  it("issues again a certificate near its end, one for another role, and a key that is not the certificate's", async () => {
    const caCert = await readFile(path.join(caDir, "ca.crt"), "utf8");
    const short = await issueCertificate(caDir, controlSubject, certificateDays.renewBefore - 1);
    expect(identityProblem(caCert, { ...short, ca: caCert }, controlSubject)).toMatch(/^it ends on /);
    const full = await issueCertificate(caDir, controlSubject);
    expect(identityProblem(caCert, { ...full, ca: caCert }, controlSubject)).toBeNull();
    expect(identityProblem(caCert, { ...full, ca: caCert }, nodeSubject("127.0.1.1", "control-plane"))).toBe("it is for control-plane control-plane, not node control-plane");
    expect(identityProblem(caCert, { cert: full.cert, key: short.key, ca: caCert }, controlSubject)).toBe("its key does not match its certificate");

    const dir = path.join(base, "control");
    await ensureTlsIdentity(caDir, dir, controlSubject);
    await writeFile(path.join(dir, "key.pem"), short.key);
    expect(await ensureTlsIdentity(caDir, dir, controlSubject)).toMatchObject({ issued: true, reason: "its key does not match its certificate" });
    const control = new X509Certificate(readTlsIdentity(dir).cert);
    expect(control.subject).toBe("O=Shoal cluster\nOU=control-plane\nCN=control-plane");
    expect(control.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(control.subjectAltName).toBeUndefined();
  });

  it("refuses a name openssl could parse as more than a name, and a node without its address", async () => {
    for (const name of ["node/1", "a,CN=control-plane", "Node-1", "-node", "", "x".repeat(64)]) {
      await expect(issueCertificate(caDir, { role: "node", name, address: "127.0.1.1" })).rejects.toThrow(/not a valid certificate name/);
    }
    await expect(issueCertificate(caDir, { role: "node", name: "node-1" })).rejects.toThrow(/needs the node's IP address/);
    await expect(issueCertificate(caDir, { role: "node", name: "node-1", address: "127.0.1.1,DNS:evil" })).rejects.toThrow(/needs the node's IP address/);
    await expect(issueCertificate(caDir, { role: "control-plane", name: "control-plane", address: "127.0.1.1" })).rejects.toThrow(/names no address/);
  });
});
