import { X509Certificate } from "node:crypto";
import { Resolver } from "node:dns/promises";
import http from "node:http";
import tls from "node:tls";
import * as acme from "acme-client";
import type { Db } from "../../../server/db";
import { acmeFailureText, classifyAcmeError, renewAt, retryDelayMs, type AcmeFailureReason } from "../../../server/domain/acme-policy";
import { certificateStepKinds, operationKind, stepKind, type StepKind } from "../../../server/domain/operation-kinds";
import { pemBlocks } from "../../../server/domain/tls-certificate";
import { openPrivateKey, sealPrivateKey } from "../../../server/services/certificate/certificate-key-box";
import { markStep } from "../operation-progress";

// One ACME order for one site's certificate, as an Operation with visible steps:
//   DNS points here → order → HTTP-01 challenge on every edge → CA validates → certificate issued
//   → live on every edge.
// The challenge answer reaches the edges the way everything else does: an AcmeChallenge row that
// build-node-spec.ts puts in every node's spec, converged by the normal reconcile (the agent
// writes it as a static file: no nginx reload). The CA is told to validate only once every
// healthy edge answers the token, so whichever node it reaches has it. Edges never call the
// control plane; a node that cannot be converged is DEAD and out of the DNS answers anyway.

export type Edge = { name: string; address: string; httpPort: number; httpsPort: number };

export type AcmeContext = {
  db: Db;
  /** The cluster secret: seals and opens private keys (certificateEncryptionKey). */
  clusterSecret: string;
  /** The ACME directory (SHOAL_ACME_DIRECTORY_URL); nothing else is ever contacted. */
  directoryUrl: string;
  /** The DNS server, "address:port", that says whether a domain points at the cluster (acmeDnsServer). */
  dnsServer: string;
  /** Converges every node now (the control worker's enqueueAll). */
  publish: () => Promise<void>;
  /** The edges that must answer; default: every node not DEAD. */
  edges?: () => Promise<Edge[]>;
  /** How long the edges may take to answer a challenge or serve a certificate. */
  propagationTimeoutMs?: number;
  now?: () => Date;
  log?: (message: string) => void;
};

export type IssueOutcome = { status: "ISSUED"; notAfter: Date } | { status: "FAILED"; reason: AcmeFailureReason; message: string };

class OrderFailure extends Error {
  constructor(
    readonly reason: AcmeFailureReason,
    message: string,
    readonly step: StepKind,
  ) {
    super(message);
  }
}

async function healthyEdges(db: Db): Promise<Edge[]> {
  return db.node.findMany({ where: { status: { not: "DEAD" } }, orderBy: { name: "asc" }, select: { name: true, address: true, httpPort: true, httpsPort: true } });
}

/** The cluster's account key at this directory, made and registered once. */
async function acmeClient(ctx: AcmeContext): Promise<acme.Client> {
  const label = `acme-account:${ctx.directoryUrl}`;
  let row = await ctx.db.acmeAccount.findUnique({ where: { directoryUrl: ctx.directoryUrl } });
  if (!row) {
    const key = (await acme.crypto.createPrivateEcdsaKey("P-256")).toString();
    await ctx.db.acmeAccount.createMany({ data: { directoryUrl: ctx.directoryUrl, keyEncrypted: sealPrivateKey(ctx.clusterSecret, label, key) }, skipDuplicates: true });
    row = await ctx.db.acmeAccount.findUniqueOrThrow({ where: { directoryUrl: ctx.directoryUrl } });
  }
  const accountKey = Buffer.from(openPrivateKey(ctx.clusterSecret, label, row.keyEncrypted));
  const client = new acme.Client({ directoryUrl: ctx.directoryUrl, accountKey, ...(row.accountUrl ? { accountUrl: row.accountUrl } : {}) });
  if (!row.accountUrl) {
    await client.createAccount({ termsOfServiceAgreed: true });
    await ctx.db.acmeAccount.update({ where: { directoryUrl: ctx.directoryUrl }, data: { accountUrl: client.getAccountUrl() } });
  }
  return client;
}

/** Whether each name resolves, through the cluster's DNS, to at least one edge's address. */
async function checkPointed(ctx: AcmeContext, domains: readonly string[], edges: Edge[]): Promise<void> {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([ctx.dnsServer]);
  const ours = new Set(edges.map((e) => e.address));
  for (const name of domains) {
    const addresses = await resolver.resolve4(name).catch((e: unknown) => {
      throw new OrderFailure("NOT_POINTED", `${name} does not resolve (${e instanceof Error ? e.message : String(e)}).`, stepKind.dnsCheck);
    });
    if (!addresses.some((a) => ours.has(a))) {
      throw new OrderFailure("NOT_POINTED", `${name} points at ${addresses.join(", ") || "nothing"}, not at this cluster's nodes.`, stepKind.dnsCheck);
    }
  }
}

function httpAnswer(edge: Edge, host: string, path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: edge.address, port: edge.httpPort, path, headers: { host }, agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(res.statusCode === 200 ? body : null));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

/** The certificate an edge presents for `servername` (its fingerprint), or null. */
export function servedFingerprint(edge: Pick<Edge, "address" | "httpsPort">, servername: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: edge.address, port: edge.httpsPort, servername, rejectUnauthorized: false, timeout: 2000 }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      resolve(cert?.fingerprint256 ?? null);
    });
    socket.on("timeout", () => socket.destroy());
    socket.on("error", () => resolve(null));
  });
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/**
 * Orders the certificate of `certificateId` now and records the outcome on its row: ISSUED with the
 * next renewal, or FAILED with the reason and the next retry. Never throws for an order that failed.
 */
export async function issueCertificate(ctx: AcmeContext, certificateId: string): Promise<IssueOutcome> {
  const { db } = ctx;
  const now = ctx.now ?? (() => new Date());
  const timeoutMs = ctx.propagationTimeoutMs ?? 20_000;
  const cert = await db.certificate.findUniqueOrThrow({
    where: { id: certificateId },
    select: { id: true, domains: true, failures: true, site: { select: { id: true, account: { select: { customerId: true, customer: { select: { resellerId: true } } } } } } },
  });
  const operation = await db.operation.create({
    data: {
      kind: operationKind.certificateIssue,
      targetType: "Site",
      targetId: cert.site.id,
      resellerId: cert.site.account.customer.resellerId,
      customerId: cert.site.account.customerId,
      status: "RUNNING",
      startedAt: now(),
      steps: { create: certificateStepKinds.map((kind, index) => ({ index, kind, target: cert.domains.join(", ") })) },
    },
    select: { id: true },
  });
  await db.certificate.update({ where: { id: cert.id }, data: { lastAttemptAt: now() } });
  let step: StepKind = stepKind.dnsCheck;
  const begin = async (kind: StepKind) => {
    step = kind;
    await markStep(db, operation.id, kind, "RUNNING");
  };
  const done = (kind: StepKind) => markStep(db, operation.id, kind, "SUCCEEDED", null);
  try {
    const edges = await (ctx.edges ?? (() => healthyEdges(db)))();
    if (edges.length === 0) throw new OrderFailure("REFUSED", "No node is up to answer the challenge.", stepKind.dnsCheck);
    await begin(stepKind.dnsCheck);
    await checkPointed(ctx, cert.domains, edges);
    await done(stepKind.dnsCheck);

    await begin(stepKind.acmeOrder);
    const client = await acmeClient(ctx);
    const order = await client.createOrder({ identifiers: cert.domains.map((value) => ({ type: "dns", value })) });
    const authorizations = await client.getAuthorizations(order);
    const pending: { host: string; challenge: (typeof authorizations)[number]["challenges"][number]; keyAuthorization: string }[] = [];
    for (const authz of authorizations) {
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => c.type === "http-01");
      if (!challenge) throw new OrderFailure("REFUSED", `The CA offers no HTTP-01 challenge for ${authz.identifier.value}.`, stepKind.acmeOrder);
      pending.push({ host: authz.identifier.value, challenge, keyAuthorization: await client.getChallengeKeyAuthorization(challenge) });
    }
    await done(stepKind.acmeOrder);

    await begin(stepKind.challenge);
    const expiresAt = new Date(now().getTime() + 3_600_000);
    await db.acmeChallenge.createMany({
      data: pending.map((p) => ({ token: p.challenge.token, keyAuthorization: p.keyAuthorization, certificateId: cert.id, expiresAt })),
      skipDuplicates: true,
    });
    try {
      await ctx.publish();
      await until("every edge to answer the challenge", timeoutMs, async () => {
        const answers = await Promise.all(
          pending.flatMap((p) => edges.map((e) => httpAnswer(e, p.host, `/.well-known/acme-challenge/${p.challenge.token}`).then((a) => a === p.keyAuthorization))),
        );
        return answers.every(Boolean);
      });
      await done(stepKind.challenge);

      await begin(stepKind.validate);
      for (const p of pending) {
        await client.completeChallenge(p.challenge);
        await client.waitForValidStatus(p.challenge);
      }
      await done(stepKind.validate);
    } finally {
      await db.acmeChallenge.deleteMany({ where: { certificateId: cert.id } });
    }

    await begin(stepKind.finalize);
    const [key, csr] = await acme.crypto.createCsr({ altNames: cert.domains, commonName: cert.domains[0] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
    const finalized = await client.finalizeOrder(order, csr);
    // One PEM block after another, nothing between (the node spec's grammar).
    const fullChain = pemBlocks(await client.getCertificate(finalized)).blocks.map((b) => b.pem).join("");
    const leaf = new X509Certificate(fullChain);
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    await db.certificate.update({
      where: { id: cert.id },
      data: {
        status: "ISSUED",
        source: "ACME",
        chainPem: fullChain,
        keyEncrypted: sealPrivateKey(ctx.clusterSecret, cert.id, key.toString()),
        issuer: leaf.issuer.split("\n").find((l) => l.startsWith("CN="))?.slice(3) ?? null,
        notBefore,
        notAfter,
        nextAttemptAt: renewAt(notBefore, notAfter),
        failures: 0,
        failureReason: null,
        lastError: null,
      },
    });
    await done(stepKind.finalize);

    await begin(stepKind.deploy);
    await ctx.publish();
    try {
      await until("every edge to serve the certificate", timeoutMs, async () => {
        const served = await Promise.all(edges.map((e) => servedFingerprint(e, cert.domains[0]!)));
        return served.every((f) => f === leaf.fingerprint256);
      });
      await done(stepKind.deploy);
    } catch (e) {
      // Issued and stored: the reconcile keeps trying to put it on the edges that lag.
      await markStep(db, operation.id, stepKind.deploy, "FAILED", e instanceof Error ? e.message : String(e));
    }
    await db.operation.update({ where: { id: operation.id }, data: { status: "SUCCEEDED", finishedAt: now() } });
    return { status: "ISSUED", notAfter };
  } catch (e) {
    const reason = e instanceof OrderFailure ? e.reason : classifyAcmeError(e);
    const detail = e instanceof Error ? e.message : String(e);
    const failedStep = e instanceof OrderFailure ? e.step : step;
    const failures = cert.failures + 1;
    const message = `${acmeFailureText[reason]} (${detail})`;
    ctx.log?.(`certificate ${cert.id} (${cert.domains.join(", ")}): ${message}`);
    await markStep(db, operation.id, failedStep, "FAILED", message);
    await db.operation.update({ where: { id: operation.id }, data: { status: "FAILED", lastError: message, customerError: acmeFailureText[reason], finishedAt: now() } });
    // A served certificate stays served until it expires; only the order's state changes.
    await db.certificate.update({
      where: { id: cert.id },
      data: { status: "FAILED", failures, failureReason: reason, lastError: detail.slice(0, 2000), nextAttemptAt: new Date(now().getTime() + retryDelayMs(failures, reason)) },
    });
    return { status: "FAILED", reason, message };
  }
}
