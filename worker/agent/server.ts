import type http from "node:http";
import type { NodeSpec } from "../../server/contract/node-spec";
import { directoryFromSpec, loadDirectory, saveDirectory, toDirectory } from "./sftp/directory";
import { startSftpGateway, type Log as SftpLog } from "./sftp/gateway";
import https from "node:https";
import { createSecureContext } from "node:tls";
import { startEdge, type EdgeOptions } from "../edge/edge-routes";
import { isMetricsRequest } from "../../server/observability/metrics-http";
import { createAgentMetrics } from "./agent-metrics";
import { bearerAuth, controlPlanePeer, signedRequestAuth } from "./auth";
import { readTlsIdentity, type TlsIdentity } from "../../server/contract/cluster-tls";
import { scrapeToken, signatureScheme } from "../../server/contract/agent-signature";
import { AgentError } from "./agent-error";
import { createMetricsSampler } from "./metrics";
import type { NodeRoot } from "./node-root";
import { agentRouter, sendError } from "./router";
import { frontDoorRoutes } from "./routes/front-door-routes";
import { nodeRoutes } from "./routes/node-routes";
import { specRoutes } from "./routes/spec-routes";
import { serialise } from "./serialise";
import { isStreamUpload, storageRoutes } from "./storage/routes";

// The agent's HTTP API, over TLS only, on the node's own address. Only the control plane calls it:
// each API request must come over a connection whose client certificate is the control plane's
// (from the cluster CA, server/contract/cluster-tls.ts) and be signed with the node's secret
// (auth.ts); nothing is read from a request (not even its body) before both check out. The client
// certificate is asked for but checked per request, not by the handshake, because /metrics also
// answers a Prometheus scrape, which has its own rule and no client certificate.
// The routes live in modules by topic (routes/, storage/routes.ts); their requests and answers
// are the node API's contract (server/contract/).

/** A request body must arrive within this (except snapshot streams). */
const requestTimeoutMs = 30_000;

export type AgentServerOptions = {
  host: string;
  port: number;
  secret: string;
  nodeRoot: NodeRoot;
  /** After the edge accepted a route table from the control plane (resume.ts starts nginx then). */
  onRoutesApplied?: () => void;
  /** Whether the front door still waits for its first route table after a crash. */
  awaitingRoutes?: () => boolean;
  /** The hold service's bounds (tests shorten the timeout). */
  edge?: EdgeOptions;
  /** The node's TLS identity; default: the files in its root's tls directory. */
  tls?: TlsIdentity;
  /** The SFTP gateway (sftp/gateway.ts): its port on `host` and the cluster host key; none when absent. */
  sftp?: { port: number; hostKey: string; log?: SftpLog } | null;
};

export type AgentServer = {
  port: number;
  /** The SFTP gateway's port, or null when it does not run. */
  sftpPort: number | null;
  /** New connections present this identity from now on (a renewed certificate, on SIGHUP). */
  setTls(identity: TlsIdentity): void;
  close(): Promise<void>;
};

const secureContext = (identity: TlsIdentity) => ({ key: identity.key, cert: identity.cert, ca: identity.ca, minVersion: "TLSv1.3" as const });

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const { nodeRoot: node, onRoutesApplied } = options;
  // First: a node without its certificate must not leave a hold service listening.
  const identity = options.tls ?? readTlsIdentity(node.tlsDir);
  createSecureContext(secureContext(identity)); // throws here on a key that does not fit its certificate
  // Prometheus series at GET /metrics (agent-metrics.ts): loopback callers or the scrape token.
  const prom = createAgentMetrics();
  // The front door's route table and the hold service (worker/edge/edge-routes.ts).
  const edge = await startEdge(node, { ...options.edge, countHeld: prom.held });
  prom.watchHeld(() => edge.hold.heldCount());
  // API calls are signed (no replay); a Prometheus scrape from off the node presents its own
  // token, derived from the secret, which signs nothing.
  const authorised = signedRequestAuth(options.secret, { mayBeUnsigned: isStreamUpload });
  const peerRefusal = controlPlanePeer();
  const scrapeAuthorised = bearerAuth(scrapeToken(options.secret));
  const startedAt = Date.now();
  const lock = serialise();
  const metrics = createMetricsSampler(node, { startedAt, onRequest: prom.frontDoorRequest, log: options.edge?.log });
  // The SFTP gateway answers from the directory of the last spec converged (kept on disk, so it
  // signs accounts in after a restart with the control plane down).
  let sftpDirectory = await loadDirectory(node);
  let directory = toDirectory(node, sftpDirectory);
  const sftp = options.sftp
    ? await startSftpGateway({ node, host: options.host, port: options.sftp.port, hostKey: options.sftp.hostKey, directory: () => directory, log: options.sftp.log }).catch(async (e: unknown) => {
        await edge.close();
        throw e;
      })
    : null;
  const sftpConverged = async (spec: NodeSpec) => {
    const next = directoryFromSpec(spec);
    if (!next) return;
    const before = sftpDirectory;
    sftpDirectory = next;
    directory = toDirectory(node, next);
    await saveDirectory(node, next).catch(() => {});
    // An account whose sites left this node (a move, a failover elsewhere) or that may no longer
    // sign in: its sessions here end now; its client reconnects to where the sites are.
    for (const username of Object.keys(before?.local ?? {})) {
      const stillLocal = (next.local[username] ?? []).length > 0 && directory.account(username);
      if (!stillLocal) sftp?.endSessions(username, "its sites are no longer live on this node");
    }
  };
  // GET /v1/state reports site stores against the document roots of the last spec it was given.
  let documentRoots: ReadonlyMap<string, string> = new Map();
  const route = agentRouter([
    ...nodeRoutes({ node, startedAt, metrics, documentRoots: () => documentRoots, awaitingRoutes: options.awaitingRoutes }),
    ...specRoutes({ node, edge, lock, onRoutesApplied, metrics: prom, converged: (spec) => {
        documentRoots = new Map(spec.sites.map((s) => [s.id, s.documentRoot]));
        void sftpConverged(spec);
      } }),
    ...frontDoorRoutes({ edge, lock, onRoutesApplied }),
    ...storageRoutes(node, { lock }),
  ]);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Before the bearer check: a loopback scrape needs no token (agent-metrics.ts checks who asks).
    if (isMetricsRequest(req)) return prom.serve(req, res, scrapeAuthorised, () => metrics.sample());
    // The unread body is not wanted after a refusal: close the connection rather than drain it.
    const refusal = peerRefusal(req);
    if (refusal !== null) {
      res.setHeader("connection", "close");
      return sendError(req, res, new AgentError(401, "UNAUTHENTICATED", `The agent API needs a TLS client certificate of the cluster's control plane: ${refusal}.`));
    }
    if (!authorised(req)) {
      res.setHeader("connection", "close");
      res.setHeader("www-authenticate", `${signatureScheme} realm="shoal-agent"`);
      return sendError(req, res, new AgentError(401, "UNAUTHENTICATED", "A request signed with the node's secret is required, with a current timestamp and a nonce not used before."));
    }
    await route(req, res);
  }

  // Requests whose response has not been flushed yet; close() waits for them.
  const inFlight = new Set<Promise<void>>();
  // A client certificate is asked for, and checked per request (peerRefusal) rather than by the
  // handshake, so that a scrape without one still reaches /metrics.
  const server = https.createServer({ ...secureContext(identity), requestCert: true, rejectUnauthorized: false, handshakeTimeout: 10_000 }, (req, res) => {
    const done = new Promise<void>((resolve) => res.once("close", resolve));
    // What server.requestTimeout did, per request: a snapshot stream upload may take longer than
    // 30 s (it has an idle limit instead, storage/routes.ts).
    if (!isStreamUpload(req)) {
      const timer = setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, requestTimeoutMs);
      void done.then(() => clearTimeout(timer));
    }
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    handle(req, res).catch((e: unknown) => sendError(req, res, e));
  });
  // A slow client must not hold a socket open for minutes (nor a handshake, above); converge time is not part of this.
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;

  return new Promise<AgentServer>((resolve, reject) => {
    // The hold service is already listening: a failed start must not leave it behind.
    const failed = (e: Error) => void Promise.all([edge.close(), sftp?.close()]).finally(() => reject(e));
    server.once("error", failed);
    server.listen(options.port, options.host, () => {
      server.off("error", failed);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        sftpPort: sftp?.port ?? null,
        setTls: (renewed) => server.setSecureContext(secureContext(renewed)),
        async close() {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          // Held requests get their 503 now, not after a converge in progress.
          const edgeClosed = edge.close();
          // A converge in progress finishes (and answers) rather than stopping half-way.
          await Promise.all(inFlight);
          server.closeAllConnections();
          await Promise.all([closed, edgeClosed, sftp?.close()]);
          await metrics.close();
        },
      });
    });
  });
}
