import { TransformStream, type ReadableStream } from "node:stream/web";
import type { Response } from "undici";
import { z } from "zod";
import { snapshotName } from "../../server/domain/snapshot-name";
import { agentSecret } from "../../server/contract/cluster-secrets";
import { signedHeaders, unsignedPayload } from "../../server/contract/agent-signature";
import { controlTransport, type AgentFetch, type AgentTransport } from "../../server/contract/agent-transport";
import { agentOrigin } from "../../server/contract/cluster-tls";
import { agentErrorBodySchema, type AgentIssue } from "../../server/contract/agent-error";
import { applyAnswerSchema, specAnswerSchema, type ApplyRequest } from "../../server/contract/node-apply";
import type { NodeSpecInput } from "../../server/contract/node-spec";
import type { ZonesBody } from "../../server/contract/dns-zone";
import { nodeMetricsSchema } from "../../server/contract/node-metrics";
import { probeAnswerSchema, type ProbeRequestBody } from "../../server/contract/node-probe";
import { usageReportSchema } from "../../server/contract/node-usage";
import { drainAnswerSchema, routesAnswerSchema, type DrainRequest, type RouteTableBody } from "../../server/contract/route-table";
import {
  createdSnapshotSchema,
  promoteAnswerSchema,
  receivedSnapshotSchema,
  restoreAnswerSchema,
  restoreFileAnswerSchema,
  rollbackPreviewSchema,
  snapshotDeletedSchema,
  snapshotEntrySchema,
  type SnapshotEntryInfo,
  type SnapshotInfoAnswer,
} from "../../server/contract/snapshot-answers";
import { streamStorageHeader, type CreateSnapshotRequest, type PromoteRequest, type RestoreFileRequest, type RestoreRequest } from "../../server/contract/snapshot-requests";

// The control plane's side of the agent API (worker/agent/server.ts): every request and answer is
// the contract's (server/contract/), and every answer is parsed with its schema, because what a
// node reports back is untrusted too. Calls go over mutual TLS with the control plane's
// certificate (server/contract/agent-transport.ts), each one signed with the node's token. Errors are classified so a reconcile can tell "the node is
// away, wait and retry" from "the node said no, show why".

export type AgentAddress = { name: string; address: string; agentPort: number };

/** TLS failures that mean the agent's certificate was refused (not the CA's, not for its address). */
const untrustedCertificate = /^(ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_SIGNATURE_FAILURE|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REJECTED|INVALID_PURPOSE)$/;

export class AgentUnreachableError extends Error {
  constructor(readonly nodeName: string, readonly causeCode: string) {
    super(
      untrustedCertificate.test(causeCode)
        ? `Node ${nodeName}'s agent presented a certificate the control plane does not trust (${causeCode}); not talking to it.`
        : `Node ${nodeName} is not answering (${causeCode}); waiting for it to come back.`,
    );
    this.name = "AgentUnreachableError";
  }

  /** Nothing listens any more (as opposed to a timeout, which a busy node can cause). */
  get refused(): boolean {
    return this.causeCode === "ECONNREFUSED" || this.causeCode === "ECONNRESET";
  }
}

/** The agent answered with an error: 422 carries the precise issues of an invalid spec. */
export class AgentRejectedError extends Error {
  constructor(
    readonly nodeName: string,
    readonly status: number,
    message: string,
    readonly issues: AgentIssue[] = [],
  ) {
    super(`Node ${nodeName} refused the request (${status}): ${message}${issues.length ? ` ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` : ""}`);
    this.name = "AgentRejectedError";
  }
}

/** `transport`: another identity than the control plane's own (controlTransport()). */
export type AgentClientOptions = { clusterSecret: string; timeoutMs?: number; transport?: AgentTransport };

/** A fetch that never reached the agent (refused, reset, timed out): the node is away. */
function unreachable(nodeName: string, e: unknown): AgentUnreachableError {
  return new AgentUnreachableError(nodeName, e instanceof Error ? ((e.cause as { code?: string } | undefined)?.code ?? e.message) : String(e));
}

/** An answer that is not what the contract says: each offending field by its path. */
function checkAnswer<S extends z.ZodType>(nodeName: string, status: number, schema: S, json: unknown): z.output<S> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(answer)", message: i.message }));
  throw new AgentRejectedError(nodeName, status, "unexpected answer:", issues);
}

/** Reads an agent's JSON answer: its error (with the spec's issues) or, checked by `schema`, its value. */
async function readAnswer<S extends z.ZodType>(nodeName: string, res: Response, schema: S): Promise<z.output<S>> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentRejectedError(nodeName, res.status, `not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const parsed = agentErrorBodySchema.safeParse(json);
    throw new AgentRejectedError(nodeName, res.status, parsed.success ? parsed.data.error.message : text.slice(0, 200), parsed.success ? (parsed.data.error.issues ?? []) : []);
  }
  return checkAnswer(nodeName, res.status, schema, json);
}

/** One agent as the client reaches it. */
type Connection = { node: AgentAddress; base: string; token: string; timeoutMs: number | undefined; fetch: AgentFetch };

/**
 * The URL of a call and the headers that sign it (server/contract/agent-signature.ts): the path
 * signed is the one fetch sends, after URL parsing. Each call is signed afresh, with its own nonce.
 */
function signed(c: Connection, method: string, pathAndQuery: string, body?: string): { url: string; headers: Record<string, string> } {
  const url = new URL(`${c.base}${pathAndQuery}`);
  return { url: url.href, headers: signedHeaders(c.token, method, url.pathname + url.search, body) };
}

async function call<S extends z.ZodType>(c: Connection, method: string, path: string, schema: S, body?: unknown, timeoutMs = c.timeoutMs ?? 120_000): Promise<z.output<S>> {
  let res: Response;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const request = signed(c, method, path, text);
  try {
    res = await c.fetch(request.url, {
      method,
      headers: { ...request.headers, ...(text === undefined ? {} : { "content-type": "application/json" }) },
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw unreachable(c.node.name, e);
  }
  return readAnswer(c.node.name, res, schema);
}

const sitePath = (siteId: string, rest: string) => `/v1/sites/${encodeURIComponent(siteId)}/${rest}`;
const snapshotPath = (siteId: string, name: string, leaf = "") => sitePath(siteId, `snapshots/${encodeURIComponent(name)}${leaf ? `/${leaf}` : ""}`);

/**
 * Streams snapshot `name` of a site from this node to `target` (incremental from `parent` when
 * both hold it): GET .../stream here piped into PUT .../stream there, never buffered whole.
 * Resolves the bytes that crossed and the received snapshot's info.
 */
/** What a snapshot is streamed into: another node's client (only its receiving end is needed). */
type StreamReceiver = { receiveStream: (path: string, body: ReadableStream<Uint8Array>, storage: string, sizeLater?: boolean) => Promise<SnapshotInfoAnswer> };

async function sendSnapshotTo(c: Connection, target: StreamReceiver, siteId: string, name: string, parent: string | null, sizeLater = false): Promise<{ bytes: number; info: SnapshotInfoAnswer }> {
  const path = snapshotPath(siteId, name, "stream");
  let source: Response;
  try {
    const request = signed(c, "GET", `${path}${parent ? `?parent=${encodeURIComponent(parent)}` : ""}`);
    source = await c.fetch(request.url, { headers: request.headers, signal: AbortSignal.timeout(3_600_000) });
  } catch (e) {
    throw unreachable(c.node.name, e);
  }
  if (!source.ok || !source.body) throw new AgentRejectedError(c.node.name, source.status, (await source.text()).slice(0, 300));
  let bytes = 0;
  const counted = source.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
  const info = await target.receiveStream(path, counted, source.headers.get(streamStorageHeader) ?? "", sizeLater);
  return { bytes, info };
}

/** `sizeLater`: listed at once, its size summed after the answer (a move's final delta). */
async function receiveStream(c: Connection, path: string, body: ReadableStream<Uint8Array>, storage: string, sizeLater = false): Promise<SnapshotInfoAnswer> {
  let res: Response;
  try {
    // Streamed as it is read: its hash cannot be known before it is sent.
    const request = signed(c, "PUT", `${path}${sizeLater ? "?sizeLater=1" : ""}`, unsignedPayload);
    res = await c.fetch(request.url, {
      method: "PUT",
      headers: { ...request.headers, "content-type": "application/octet-stream", [streamStorageHeader]: storage },
      body,
      // fetch streams a request body only in half-duplex mode.
      duplex: "half",
      signal: AbortSignal.timeout(3_600_000),
    });
  } catch (e) {
    throw unreachable(c.node.name, e);
  }
  const text = await res.text();
  if (!res.ok) throw new AgentRejectedError(c.node.name, res.status, text.slice(0, 300));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentRejectedError(c.node.name, res.status, `not JSON: ${text.slice(0, 200)}`);
  }
  return checkAnswer(c.node.name, res.status, receivedSnapshotSchema, json);
}

/** A snapshot's directory listing or a file's facts (its bytes are not read: the body is cancelled). */
async function snapshotEntry(c: Connection, siteId: string, name: string, relPath: string): Promise<SnapshotEntryInfo> {
  let res: Response;
  try {
    const request = signed(c, "GET", `${snapshotPath(siteId, name, "files")}?path=${encodeURIComponent(relPath)}`);
    res = await c.fetch(request.url, { headers: request.headers, signal: AbortSignal.timeout(c.timeoutMs ?? 30_000) });
  } catch (e) {
    throw unreachable(c.node.name, e);
  }
  if (res.ok && res.headers.get("content-type")?.startsWith("application/octet-stream")) {
    await res.body?.cancel();
    const lastModified = res.headers.get("last-modified");
    return { type: "file", sizeBytes: Number(res.headers.get("content-length") ?? 0), mtime: lastModified ? new Date(lastModified).toISOString() : null };
  }
  return readAnswer(c.node.name, res, snapshotEntrySchema);
}

/** The node's own calls: its state, its front door's routes, its heartbeat, its peers. */
function nodeCalls(c: Connection) {
  return {
    putSpec: (spec: NodeSpecInput) => call(c, "PUT", "/v1/spec", specAnswerSchema, spec),
    /** Every zone, between converges (PUT /v1/zones). */
    putZones: (body: ZonesBody) => call(c, "PUT", "/v1/zones", specAnswerSchema, body, 10_000),
    putRoutes: (routes: RouteTableBody) => call(c, "PUT", "/v1/routes", routesAnswerSchema, routes, 30_000),
    /** Spec and route table under one nginx reload (PUT /v1/apply). */
    putApply: (spec: NodeSpecInput, routes: RouteTableBody) => call(c, "PUT", "/v1/apply", applyAnswerSchema, { spec, routes } satisfies ApplyRequest),
    /** Disk use of each site live on the node: files, dumps, snapshots, and its databases' files. */
    usage: (timeoutMs = 30_000) => call(c, "GET", "/v1/usage", usageReportSchema, undefined, timeoutMs),
    /** The heartbeat's poll. */
    metrics: (timeoutMs = 2_000) => call(c, "GET", "/v1/metrics", nodeMetricsSchema, undefined, timeoutMs),
    /** Asks this node whether it reaches another node's front door (worker/agent/peer-probe.ts). */
    probe: (target: { address: string; port: number }, timeoutMs: number) =>
      call(c, "POST", "/v1/probe", probeAnswerSchema, { ...target, timeoutMs } satisfies ProbeRequestBody, timeoutMs + 1_000),
    /** Waits up to timeoutMs for the site's requests in flight through this edge's hold service to finish. */
    drain: (siteId: string, timeoutMs: number) => call(c, "POST", "/v1/routes/drain", drainAnswerSchema, { siteId, timeoutMs } satisfies DrainRequest, timeoutMs + 5_000),
  };
}

/** A site's snapshots on this node: made, listed, previewed, restored, promoted, deleted. */
function snapshotCalls(c: Connection) {
  return {
    /** What restoring snapshot `name` would change (files and `databases`), nothing changed. */
    previewRollback: (siteId: string, name: string, databases: string[], limit = 200) =>
      call(c, "GET", `${snapshotPath(siteId, name, "diff")}?limit=${limit}${databases.length ? `&databases=${databases.map(encodeURIComponent).join(",")}` : ""}`, rollbackPreviewSchema, undefined, 60_000),
    /** One file of snapshot `name` back into the live site (replacing what is there). */
    restoreFile: (siteId: string, name: string, relPath: string) =>
      call(c, "POST", sitePath(siteId, "restore-file"), restoreFileAnswerSchema, { name, path: relPath } satisfies RestoreFileRequest, 60_000),
    /**
     * A snapshot of the site's files with its databases' dumps. `sizeLater`: listed with its
     * predecessor's size, its own summed after the answer (a move's final delta).
     * `reuseIfUnchanged`: answers that snapshot (reused: true) instead when the site is as it left it.
     */
    createSnapshot: (siteId: string, name: string, databases: string[], o: { sizeLater?: boolean; timeoutMs?: number; reuseIfUnchanged?: string } = {}) =>
      call(
        c,
        "POST",
        sitePath(siteId, "snapshots"),
        createdSnapshotSchema,
        { name, databases, ...(o.sizeLater ? { sizeLater: true } : {}), ...(o.reuseIfUnchanged ? { reuseIfUnchanged: o.reuseIfUnchanged } : {}) } satisfies CreateSnapshotRequest,
        o.timeoutMs,
      ),
    /** Makes snapshot `name` (on this node) the site's live volume and loads its databases' dumps (a standby is replaced, unchanged dumps not reloaded). */
    promote: (siteId: string, name: string, databases: string[], timeoutMs?: number) =>
      call(c, "POST", sitePath(siteId, "promote"), promoteAnswerSchema, { name, databases, keepCurrentAs: snapshotName("pre", new Date()) } satisfies PromoteRequest, timeoutMs),
    /** Stages snapshot `name` as the site's standby here (a move's target): volume and databases, not routed. */
    stage: (siteId: string, name: string, databases: string[], timeoutMs?: number) =>
      call(c, "POST", sitePath(siteId, "promote"), promoteAnswerSchema, { name, databases, standby: true } satisfies PromoteRequest, timeoutMs),
    deleteSnapshot: (siteId: string, name: string) => call(c, "DELETE", snapshotPath(siteId, name), snapshotDeletedSchema),
    /** Rollback: the site's files and databases back to `name`; the state before is kept as `keepCurrentAs`. */
    restoreSnapshot: (siteId: string, name: string, keepCurrentAs: string, databases: string[]) =>
      call(c, "POST", sitePath(siteId, "restore"), restoreAnswerSchema, { name, keepCurrentAs, databases } satisfies RestoreRequest),
  };
}

export function agentClient(node: AgentAddress, opts: AgentClientOptions) {
  const c: Connection = {
    node,
    base: agentOrigin(node.address, node.agentPort),
    token: agentSecret(opts.clusterSecret, node.name),
    timeoutMs: opts.timeoutMs,
    fetch: (opts.transport ?? controlTransport()).fetch,
  };
  return {
    node,
    sendSnapshotTo: (target: StreamReceiver, siteId: string, name: string, parent: string | null, sizeLater = false) => sendSnapshotTo(c, target, siteId, name, parent, sizeLater),
    receiveStream: (path: string, body: ReadableStream<Uint8Array>, storage: string, sizeLater = false) => receiveStream(c, path, body, storage, sizeLater),
    snapshotEntry: (siteId: string, name: string, relPath: string) => snapshotEntry(c, siteId, name, relPath),
    ...nodeCalls(c),
    ...snapshotCalls(c),
  };
}

export type AgentClient = ReturnType<typeof agentClient>;
