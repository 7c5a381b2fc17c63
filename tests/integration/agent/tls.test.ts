import http from "node:http";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../../server/contract/agent-signature";
import { controlTlsDir } from "../../../server/contract/agent-transport";
import { agentSecret } from "../../../server/contract/cluster-secrets";
import { readTlsIdentity, type TlsIdentity } from "../../../server/contract/cluster-tls";
import type { NodeRoot } from "../../../worker/agent/node-root";
import { startAgentServer, type AgentServer } from "../../../worker/agent/server";
import { AgentUnreachableError, agentClient } from "../../../worker/control/agent-client";
import { controlSubject, nodeSubject, testNodeTls, throwawayCa } from "../../helpers/cluster-tls";
import { destroyNode, makeNode } from "./node-harness";

// The agent API's transport, attacked at the TLS layer (api.test.ts covers the signature): the
// port speaks TLS only; the API wants a client certificate from the cluster CA with the
// control-plane role AND a signature, while /metrics keeps its own rule (loopback or the scrape
// token) without one; and the control plane's client refuses an agent whose certificate is not
// the cluster CA's or does not name the address it dialled. 127.0.46.x is this file's.

const clusterSecret = "cluster-secret-for-the-tls-test-0123456789";
const address = "127.0.46.1";
const impostorAddress = "127.0.46.2";
const secret = agentSecret(clusterSecret, "tls-a");
let node: NodeRoot;
let impostorNode: NodeRoot;
let agent: AgentServer;
let impostor: AgentServer | null = null;
let otherCa: Awaited<ReturnType<typeof throwawayCa>>;
/** The control plane's own identity, as the control workers hold it. */
let control: TlsIdentity;

type Reply = { status: number; body: string };

/** One request on a new connection, presenting `client` (cert and key, or none) and trusting `ca`. */
function call(urlPath: string, opts: { client?: Pick<TlsIdentity, "cert" | "key"> | null; signed?: boolean; localAddress?: string } = {}): Promise<Reply> {
  const client = opts.client === undefined ? control : opts.client;
  const headers = opts.signed === false ? {} : signedHeaders(secret, "GET", urlPath);
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: address, port: agent.port, path: urlPath, headers, agent: false, timeout: 10_000, ca: control.ca, ...(client ? { cert: client.cert, key: client.key } : {}), localAddress: opts.localAddress },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on("error", reject);
  });
}

const message = (reply: Reply) => (JSON.parse(reply.body) as { error: { code: string; message: string } }).error;

beforeAll(async () => {
  control = readTlsIdentity(controlTlsDir());
  otherCa = await throwawayCa();
  node = await makeNode(address, 18461, 13461, { backendPort: 18462, holdPort: 18463 });
  impostorNode = await makeNode(impostorAddress, 18465, 13465, { backendPort: 18466, holdPort: 18467 });
  agent = await startAgentServer({ host: address, port: 17461, secret, nodeRoot: node, tls: await testNodeTls(node, "tls-a") });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await impostor?.close();
  if (node) await destroyNode(node);
  if (impostorNode) await destroyNode(impostorNode);
  await otherCa?.remove();
}, 60_000);

describe("the agent's port", () => {
  it("speaks TLS only: a plain HTTP request gets no answer", async () => {
    const plain = new Promise<number>((resolve, reject) => {
      const req = http.get({ host: address, port: agent.port, path: "/v1/health", headers: signedHeaders(secret, "GET", "/v1/health"), agent: false, timeout: 5_000 }, (res) => resolve(res.statusCode ?? 0));
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", reject);
    });
    await expect(plain).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it("answers a signed call over TLS with the control plane's certificate", async () => {
    const reply = await call("/v1/health");
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true });
  });

  it("refuses the API without a client certificate, but a loopback scrape of /metrics needs none", async () => {
    const bare = await call("/v1/health", { client: null });
    expect(bare.status).toBe(401);
    expect(message(bare)).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("no client certificate was presented") });
    // Prometheus on the node itself: trusts the cluster CA, presents nothing, signs nothing.
    const scrape = await call("/metrics", { client: null, signed: false, localAddress: "127.0.0.1" });
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain("shoal_edge_held_requests 0");
    // The same scrape from another address still needs the scrape token.
    expect((await call("/metrics", { client: null, signed: false, localAddress: "127.0.46.9" })).status).toBe(401);
  });

  it("refuses a control-plane certificate from another CA, even on a signed call", async () => {
    const reply = await call("/v1/health", { client: await otherCa.issue(controlSubject) });
    expect(reply.status).toBe(401);
    expect(message(reply).message).toContain("does not verify against the cluster CA");
  });

  it("refuses a node's certificate from the cluster CA as a client: a node is not the control plane", async () => {
    const reply = await call("/v1/health", { client: await testNodeTls({ address: impostorAddress }) });
    expect(reply.status).toBe(401);
    // Its key usage is serverAuth alone (the role check stands behind it: cluster-tls.test.ts).
    expect(message(reply)).toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("INVALID_PURPOSE") });
  });

  it("refuses the control plane's certificate without the node's signature", async () => {
    const reply = await call("/v1/health", { signed: false });
    expect(reply.status).toBe(401);
    expect(message(reply).message).toContain("signed with the node's secret");
  });
});

describe("the control plane's client", () => {
  const client = () => agentClient({ name: "tls-b", address: impostorAddress, agentPort: 17465 }, { clusterSecret, timeoutMs: 5_000 });
  const refusal = () =>
    client()
      .metrics(5_000)
      .then(
        () => null,
        (e: unknown) => e,
      );

  it("refuses an agent whose certificate is another CA's, or the cluster CA's for another address; talks once it is right", async () => {
    impostor = await startAgentServer({ host: impostorAddress, port: 17465, secret: agentSecret(clusterSecret, "tls-b"), nodeRoot: impostorNode, tls: await otherCa.issue(nodeSubject(impostorAddress, "tls-b")) });
    const foreign = await refusal();
    expect(foreign).toBeInstanceOf(AgentUnreachableError);
    expect(String(foreign)).toContain("presented a certificate the control plane does not trust");

    // The cluster CA's certificate, but for another node's address: a node standing in for another.
    impostor.setTls(await testNodeTls({ address: "127.0.46.9" }, "tls-b"));
    const elsewhere = await refusal();
    expect(elsewhere).toBeInstanceOf(AgentUnreachableError);
    expect((elsewhere as AgentUnreachableError).causeCode).toBe("ERR_TLS_CERT_ALTNAME_INVALID");

    // Renewed with the right certificate (as SIGHUP does): new connections present it.
    impostor.setTls(await testNodeTls({ address: impostorAddress }, "tls-b"));
    expect(await refusal()).toBeNull();
  });
});
