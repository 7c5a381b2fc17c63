import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCertificate, nameCovers } from "../../../../server/domain/tls-certificate";

// The upload checker against certificates made by openssl here: a root, an intermediate, leaves
// for a name and a wildcard, an unrelated key. Every field's error on its own, and what a good
// upload gives back (full chain without the root, PKCS#8 key, names and dates).

let dir: string;
const pem: Record<string, string> = {};
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
// A minute on: the certificates are made after this module loads, and not valid before that second.
const now = new Date(Date.now() + 60_000);

function issue(name: string, subject: string, issuer: string | null, ext: string[], key = name) {
  ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${key}.key`);
  const args = ["req", "-new", "-x509", "-key", `${key}.key`, "-subj", subject, "-days", "30", "-out", `${name}.crt`];
  if (issuer) args.push("-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`);
  for (const e of ext) args.push("-addext", e);
  ssl(...args);
  pem[name] = readFileSync(path.join(dir, `${name}.crt`), "utf8");
  pem[`${key}.key`] = readFileSync(path.join(dir, `${key}.key`), "utf8");
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "shoal-cert-test-"));
  issue("root", "/CN=Test Root", null, ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]);
  issue("inter", "/CN=Test Intermediate", "root", ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"]);
  issue("leaf", "/CN=shop.example.test", "inter", ["basicConstraints=CA:FALSE", "subjectAltName=DNS:shop.example.test,DNS:www.shop.example.test"]);
  issue("wild", "/CN=*.example.test", "inter", ["basicConstraints=CA:FALSE", "subjectAltName=DNS:*.example.test"]);
  issue("self", "/CN=shop.example.test", null, ["basicConstraints=CA:FALSE", "subjectAltName=DNS:shop.example.test"]);
  ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key");
  pem["other.key"] = readFileSync(path.join(dir, "other.key"), "utf8");
  ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key");
  pem["weak.key"] = readFileSync(path.join(dir, "weak.key"), "utf8");
  writeFileSync(path.join(dir, "done"), "");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const check = (fields: Partial<{ certificate: string; chain: string; privateKey: string }>, domains = ["shop.example.test"], at = now) =>
  checkCertificate({ certificate: pem.leaf!, chain: pem.inter!, privateKey: pem["leaf.key"]!, ...fields }, { domains, now: at, trustedRoots: [pem.root!] });

describe("checkCertificate", () => {
  it("accepts a leaf, its intermediate and its key, and sends the chain without the root", () => {
    const result = check({ chain: pem.inter! + pem.root! });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.names).toEqual(["shop.example.test", "www.shop.example.test"]);
    expect(result.value.fullChain).toBe(pem.leaf! + pem.inter!);
    expect(result.value.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(result.value.issuer).toBe("Test Intermediate");
  });

  it("accepts the full chain pasted into the certificate field", () => {
    expect(check({ certificate: pem.leaf! + pem.inter!, chain: "" }).ok).toBe(true);
  });

  it("says which field is wrong, each on its own", () => {
    expect(check({ privateKey: pem["other.key"]! })).toEqual({ ok: false, errors: { privateKey: "This key does not belong to the certificate." } });
    expect(check({ privateKey: pem["weak.key"]! })).toMatchObject({ ok: false, errors: { privateKey: "An RSA key must be at least 2048 bits." } });
    expect(check({ privateKey: "" })).toMatchObject({ ok: false, errors: { privateKey: "Paste the private key (PEM)." } });
    expect(check({ chain: "" })).toMatchObject({ ok: false, errors: { chain: expect.stringContaining("incomplete") } });
    expect(check({ chain: pem.root! })).toMatchObject({ ok: false, errors: { chain: expect.stringContaining("did not issue") } });
    expect(check({ certificate: pem.self!, chain: "", privateKey: pem["self.key"]! })).toMatchObject({ ok: false, errors: { chain: expect.stringContaining("self-signed") } });
    expect(check({}, ["other.example.test"])).toMatchObject({ ok: false, errors: { certificate: expect.stringContaining("not for other.example.test") } });
    expect(check({ certificate: pem.root!, privateKey: pem["root.key"]!, chain: "" })).toMatchObject({ ok: false, errors: { certificate: expect.stringContaining("CA certificate") } });
    expect(check({ certificate: "hello" })).toMatchObject({ ok: false, errors: { certificate: expect.stringContaining("PEM") } });
  });

  it("refuses a certificate outside its dates", () => {
    expect(check({}, undefined, new Date(now.getTime() + 40 * 86_400_000))).toMatchObject({ ok: false, errors: { certificate: expect.stringContaining("expired") } });
    expect(check({}, undefined, new Date(now.getTime() - 86_400_000))).toMatchObject({ ok: false, errors: { certificate: expect.stringContaining("not valid before") } });
  });

  it("a wildcard covers one label, not the apex or two labels", () => {
    const wild = (domain: string) => {
      const result = check({ certificate: pem.wild!, privateKey: pem["wild.key"]! }, [domain]);
      return result.ok || JSON.stringify(result.errors);
    };
    expect(wild("shop.example.test")).toBe(true);
    expect(wild("example.test")).toBe('{"certificate":"This certificate is for *.example.test, not for example.test."}');
    expect(wild("a.shop.example.test")).toBe('{"certificate":"This certificate is for *.example.test, not for a.shop.example.test."}');
  });

  it("never throws and never accepts on arbitrary text in any field", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom("certificate", "chain", "privateKey"), (text, field) => {
        const result = check({ [field]: text });
        if (field === "chain" && text.trim() === "") return true; // no chain: judged on its own above
        expect(result.ok).toBe(false);
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

describe("nameCovers", () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  it("an exact name covers itself; *.zone covers exactly one more label", () => {
    fc.assert(
      fc.property(label, label, label, (a, b, c) => {
        const zone = `${b}.${c}`;
        expect(nameCovers(`${a}.${zone}`, `${a}.${zone}`)).toBe(true);
        expect(nameCovers(`*.${zone}`, `${a}.${zone}`)).toBe(true);
        expect(nameCovers(`*.${zone}`, zone)).toBe(false);
        expect(nameCovers(`*.${zone}`, `${a}.${a}.${zone}`)).toBe(false);
      }),
    );
  });
});
