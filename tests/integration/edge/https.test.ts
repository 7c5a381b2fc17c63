import { X509Certificate } from "node:crypto";
import { stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../../server/db";
import { stepKind } from "../../../server/domain/operation-kinds";
import { converge } from "../../../worker/agent/converge";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { issueCertificate, type AcmeContext } from "../../../worker/control/acme/issue-certificate";
import { orderDueCertificates } from "../../../worker/control/acme/renew-certificates";
import { tlsSpec } from "../../../worker/control/build-node-spec";
import { startEdge, type Edge } from "../../../worker/edge/edge-routes";
import { acmeDnsServer, startStandInDns, startTestPebble, type StandInDns } from "../../helpers/acme";
import { makeCustomer, makeReseller } from "../../helpers/fixtures";
import { destroyNode, makeNode } from "../agent/node-harness";

// A certificate ordered from Pebble by the control plane's ACME runner, answered by the node's
// front door (HTTP-01 through the node spec), then served by that front door over TLS with a
// chain that verifies against Pebble's root; a domain that does not point here fails with its
// reason and a retry time; a renewal replaces the served certificate. Real nginx, real Pebble.

const address = "127.0.61.1";
const ports = { httpPort: 18611, httpsPort: 18614, backendPort: 18612, holdPort: 18613 };
const backendPort = 18619;
const secret = process.env.SHOAL_CLUSTER_SECRET!;

let node: NodeRoot;
let edge: Edge;
let dns: StandInDns;
let pebble: Awaited<ReturnType<typeof startTestPebble>>;
let backend: http.Server;
let ctx: AcmeContext;
let siteId: string;
let certificateId: string;
const domain = "tls-shop.test";

async function publish(): Promise<void> {
  await converge(node, { accounts: [], sites: [], databases: [], tls: await tlsSpec(db, secret) });
}

function httpsGet(host: string, path = "/", ca = pebble.root): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; peer: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: address, port: ports.httpsPort, path, servername: host, headers: { host }, ca, agent: false, timeout: 5000 }, (res) => {
      const peer = (res.socket as tls.TLSSocket).getPeerX509Certificate()!;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, peer }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

function handshake(opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: address, port: ports.httpsPort, ca: pebble.root, timeout: 5000, ...opts }, () => resolve(socket));
    socket.on("error", reject);
  });
}

async function makeSite(name: string): Promise<string> {
  const platform = await db.reseller.findFirst({ where: { isPlatform: true } }) ?? (await db.reseller.create({ data: { id: "phttps", name: "Shoal", isPlatform: true, path: "/phttps/", brand: { create: { displayName: "Shoal" } } } }));
  const reseller = await makeReseller("TLS reseller", platform);
  const { account } = await makeCustomer(reseller.id);
  const d = await db.domain.create({ data: { accountId: account.id, name, displayName: name } });
  const site = await db.site.create({ data: { accountId: account.id, domainId: d.id } });
  return site.id;
}

beforeAll(async () => {
  node = await makeNode(address, ports.httpPort, 13611, ports);
  backend = http.createServer((req, res) => res.end(`backend saw ${req.headers.host ?? ""} ${String(req.headers["x-forwarded-proto"])}`));
  await new Promise<void>((r) => backend.listen(backendPort, address, r));
  dns = await startStandInDns("127.0.61.53", 18653, address);
  // Five-minute certificates: a renewal is due 200 s in.
  pebble = await startTestPebble({ dns, httpPort: ports.httpPort, listen: { address: "127.0.61.54", port: 18640 }, validitySeconds: 300 });
  await converge(node, { accounts: [], sites: [], databases: [] });
  edge = await startEdge(node);
  siteId = await makeSite(domain);
  await edge.put({ routes: [{ siteId, domains: [domain], target: { address, port: backendPort }, epoch: 1, paused: false }] });
  await db.node.create({ data: { name: "node-tls-1", address, httpPort: ports.httpPort, httpsPort: ports.httpsPort, backendPort: ports.backendPort, agentPort: 18618, status: "HEALTHY" } });
  certificateId = (await db.certificate.create({ data: { siteId, domains: [domain], nextAttemptAt: new Date() } })).id;
  ctx = { db, clusterSecret: secret, directoryUrl: pebble.directoryUrl, dnsServer: acmeDnsServer(dns), publish, log: (m) => console.log(m) };
}, 120_000);

afterAll(async () => {
  await edge?.close();
  if (node) await destroyNode(node);
  await pebble?.cleanup();
  await dns?.stop();
  await new Promise((r) => backend?.close(r));
});

describe("certificates from Pebble on the front door", () => {
  it("orders, answers HTTP-01 on the edge, and serves the site over TLS with a chain that verifies against Pebble's root", async () => {
    const outcome = await issueCertificate(ctx, certificateId);
    expect(outcome).toMatchObject({ status: "ISSUED" });

    const res = await httpsGet(domain);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`backend saw ${domain} https`);
    expect(res.peer.subjectAltName).toContain(`DNS:${domain}`);

    const op = await db.operation.findFirstOrThrow({ where: { targetId: siteId, kind: "certificate.issue" }, include: { steps: { orderBy: { index: "asc" } } } });
    expect(op.status).toBe("SUCCEEDED");
    expect(op.steps.map((s) => [s.kind, s.status])).toEqual(
      [stepKind.dnsCheck, stepKind.acmeOrder, stepKind.challenge, stepKind.validate, stepKind.finalize, stepKind.deploy].map((k) => [k, "SUCCEEDED"]),
    );
    const row = await db.certificate.findUniqueOrThrow({ where: { id: certificateId } });
    expect(row.status).toBe("ISSUED");
    // Sealed at rest: the PEM key is not in the row.
    expect(row.keyEncrypted).toMatch(/^v1\./);
    expect(row.keyEncrypted).not.toContain("PRIVATE KEY");
    expect(await db.acmeChallenge.count()).toBe(0);
    // Renewal two thirds into a five-minute life, with jitter of at most a thirtieth.
    const life = row.notAfter!.getTime() - row.notBefore!.getTime();
    const renew = row.nextAttemptAt!.getTime() - row.notBefore!.getTime();
    expect(renew).toBeLessThanOrEqual((life * 2) / 3 + 1);
    expect(renew).toBeGreaterThanOrEqual((life * 2) / 3 - life / 30 - 1);
  }, 60_000);

  it("speaks HTTP/2 and TLS 1.2/1.3 only, refuses unknown names, and keeps the key root's alone", async () => {
    const h2 = await handshake({ servername: domain, ALPNProtocols: ["h2", "http/1.1"] });
    expect(h2.alpnProtocol).toBe("h2");
    h2.destroy();
    const v12 = await handshake({ servername: domain, maxVersion: "TLSv1.2" });
    expect(v12.getProtocol()).toBe("TLSv1.2");
    expect(v12.getCipher().name).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
    v12.destroy();
    await expect(handshake({ servername: domain, minVersion: "TLSv1", maxVersion: "TLSv1.1" })).rejects.toThrow();
    // Another name gets no certificate at all, never this site's.
    await expect(handshake({ servername: "other-site.test" })).rejects.toThrow();
    const key = await stat(node.certKeyFile(certificateId));
    expect(key.mode & 0o777).toBe(0o600);
    expect(key.uid).toBe(0);
  });

  it("redirects plain HTTP and sends HSTS once the customer switches them on", async () => {
    const plain = () =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ host: address, port: ports.httpPort, path: "/a?b=1", headers: { host: domain }, agent: false }, (res) => (res.resume(), resolve(res))).on("error", reject);
      });
    expect((await plain()).statusCode).toBe(200);
    await db.site.update({ where: { id: siteId }, data: { redirectHttps: true, hsts: true } });
    await publish();
    const redirected = await plain();
    expect(redirected.statusCode).toBe(308);
    expect(redirected.headers.location).toBe(`https://${domain}:${ports.httpsPort}/a?b=1`);
    expect((await httpsGet(domain)).headers["strict-transport-security"]).toBe("max-age=63072000");
  });

  it("names a domain that does not point here, and schedules a retry", async () => {
    const elsewhere = "elsewhere-tls.test";
    await dns.pointAt(elsewhere, "127.0.99.9");
    const otherSite = await makeSite(elsewhere);
    const cert = await db.certificate.create({ data: { siteId: otherSite, domains: [elsewhere], nextAttemptAt: new Date() } });
    const before = Date.now();
    const outcome = await issueCertificate(ctx, cert.id);
    expect(outcome).toMatchObject({ status: "FAILED", reason: "NOT_POINTED" });
    const row = await db.certificate.findUniqueOrThrow({ where: { id: cert.id } });
    expect(row).toMatchObject({ status: "FAILED", failureReason: "NOT_POINTED", failures: 1 });
    expect(row.nextAttemptAt!.getTime() - before).toBeGreaterThanOrEqual(5 * 60_000);
    const op = await db.operation.findFirstOrThrow({ where: { targetId: otherSite }, include: { steps: true } });
    expect(op.status).toBe("FAILED");
    expect(op.steps.find((s) => s.kind === stepKind.dnsCheck)?.status).toBe("FAILED");
  }, 30_000);

  it("renews when due: the edge serves the new certificate", async () => {
    const first = await httpsGet(domain);
    const row = await db.certificate.findUniqueOrThrow({ where: { id: certificateId } });
    const renewed = await orderDueCertificates(ctx, { now: row.nextAttemptAt! });
    expect(renewed.filter((r) => r.id === certificateId).map((r) => r.outcome.status)).toEqual(["ISSUED"]);
    const second = await httpsGet(domain);
    expect(second.peer.serialNumber).not.toBe(first.peer.serialNumber);
    expect(second.status).toBe(200);
  }, 60_000);
});
