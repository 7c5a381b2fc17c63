import { utils } from "ssh2";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { verifyPassword } from "../../../server/auth/password";
import { buildNodeSpec } from "../../../worker/control/build-node-spec";
import { callerFor, makeWorld } from "../../helpers/fixtures";
import { rejection } from "../domain/helpers";
import { freshPublicKey } from "./authz-cases";

// The panel's SFTP settings: a password kept as a hash, public keys parsed and fingerprinted,
// errors next to the field with nothing written, and every node's spec carrying the result.

let world: Awaited<ReturnType<typeof makeWorld>>;
beforeAll(async () => {
  world = await makeWorld();
});

const asA = () => callerFor(world.users.customerA);
const asB = () => callerFor(world.users.customerB);
const accountA = () => world.customers.a.account.id;

async function counts() {
  const [keys, audit, outbox] = await Promise.all([db.sftpKey.count(), db.auditEvent.count(), db.outboxEvent.count()]);
  return { keys, audit, outbox };
}

describe("sftp.addKey", () => {
  it("stores the key re-encoded with its SHA256 fingerprint, audited, and reconciles every node", async () => {
    const line = freshPublicKey("alice@laptop");
    const added = await asA().sftp.addKey({ publicKey: `  ${line}\n` });
    expect(added.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(added.name).toBe("alice@laptop");
    const wire = (utils.parseKey(line) as { getPublicSSH(): Buffer }).getPublicSSH();
    const row = await db.sftpKey.findUniqueOrThrow({ where: { id: added.id } });
    expect(row.publicKey).toBe(`ssh-ed25519 ${wire.toString("base64")}`);
    const outbox = await db.outboxEvent.findFirstOrThrow({ where: { topic: "sftp.changed", aggregateId: accountA() }, orderBy: { id: "desc" } });
    expect(outbox.aggregateType).toBe("SftpAccess");
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "sftp.key.add", targetId: accountA() }, orderBy: { createdAt: "desc" } });
    expect(audit.after).toMatchObject({ fingerprint: added.fingerprint });
    const got = await asA().sftp.get({});
    expect(got.keys.map((k) => k.fingerprint)).toContain(added.fingerprint);
  });

  it("refuses the same key twice, with the fingerprint next to the field", async () => {
    const line = freshPublicKey();
    const first = await asA().sftp.addKey({ publicKey: line });
    const before = await counts();
    const err = await rejection(asA().sftp.addKey({ publicKey: line.replace(/ \S+$/, " another-comment") }));
    expect(err.code).toBe("CONFLICT");
    expect(err.fieldErrors.publicKey).toContain(first.fingerprint);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["", /Paste a public key/],
    ["not a key", /Not an OpenSSH public key/],
    ["ssh-ed25519 AAAA!!!", /not valid base64/],
    ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ", /could not be read/],
    ["-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----", /private key/],
    ["ssh-dss AAAAB3NzaC1kc3M=", /DSA/],
    [`${freshPublicKey()}\n${freshPublicKey()}`, /one key on one line/],
  ])("refuses %j next to the field and writes nothing", async (publicKey, message) => {
    const before = await counts();
    const err = await rejection(asA().sftp.addKey({ publicKey }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.publicKey).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it("refuses an RSA key under 2048 bits", async () => {
    const small = utils.generateKeyPairSync("rsa", { bits: 1024 }).public;
    const err = await rejection(asA().sftp.addKey({ publicKey: small }));
    expect(err.fieldErrors.publicKey).toMatch(/2048 bits/);
  });
});

describe("sftp.deleteKey", () => {
  it("deletes the account's own key; another customer's key is not found", async () => {
    const added = await asA().sftp.addKey({ publicKey: freshPublicKey() });
    const err = await rejection(asB().sftp.deleteKey({ id: added.id }));
    expect(err.code).toBe("NOT_FOUND");
    expect(await db.sftpKey.count({ where: { id: added.id } })).toBe(1);
    await asA().sftp.deleteKey({ id: added.id });
    expect(await db.sftpKey.count({ where: { id: added.id } })).toBe(0);
  });
});

describe("sftp.setPassword", () => {
  it("keeps only an argon2id hash, never the password in the audit log, and can remove it", async () => {
    const password = "a-long-sftp-password-9";
    const res = await asA().sftp.setPassword({ password });
    expect(res.passwordSetAt).toBeInstanceOf(Date);
    const row = await db.hostingAccount.findUniqueOrThrow({ where: { id: accountA() }, select: { sftpPasswordHash: true } });
    expect(row.sftpPasswordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword({ hash: row.sftpPasswordHash!, password })).toBe(true);
    const audit = await db.auditEvent.findMany({ where: { targetId: accountA(), action: { startsWith: "sftp.password" } } });
    expect(JSON.stringify(audit)).not.toContain(password);
    expect(JSON.stringify(audit)).not.toContain("argon2");
    await asA().sftp.setPassword({ password: null });
    expect((await asA().sftp.get({})).passwordSetAt).toBeNull();
  });

  it("applies the panel's password rules next to the field", async () => {
    const err = await rejection(asA().sftp.setPassword({ password: "short" }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.fieldErrors.password).toMatch(/at least/);
  });
});

describe("the node spec", () => {
  it("lists an account with a credential while its plan allows SFTP, and drops it when the reseller turns SFTP off", async () => {
    const node = await db.node.create({ data: { name: `sftp-spec-${Date.now()}`, address: "127.0.99.1", sftpPort: 2299 } });
    try {
      await asA().sftp.setPassword({ password: "a-long-sftp-password-9" });
      const username = world.customers.a.account.username;
      const listed = (await buildNodeSpec(db, node.id, "x".repeat(64))).spec.sftp;
      expect(listed?.port).toBe(2299);
      const entry = listed?.accounts.find((a) => a.username === username);
      expect(entry?.passwordHash).toMatch(/^\$argon2id\$/);
      expect(JSON.stringify(listed)).not.toContain("a-long-sftp-password-9");
      await callerFor(world.users.resellerA).plan.update({ id: world.customers.a.plan.id, sftpEnabled: false });
      const off = (await buildNodeSpec(db, node.id, "x".repeat(64))).spec.sftp;
      expect(off?.accounts.find((a) => a.username === username)).toBeUndefined();
      expect((await asA().sftp.get({})).enabled).toBe(false);
      await callerFor(world.users.resellerA).plan.update({ id: world.customers.a.plan.id, sftpEnabled: true });
    } finally {
      await db.node.delete({ where: { id: node.id } });
    }
  });
});
