import { z } from "zod";
import { snapshotName } from "../../server/domain/snapshot-name";
import { agentSecret } from "../../server/contract/cluster-secrets";
import { rollbackPreviewSchema, snapshotEntrySchema, type SnapshotEntryInfo } from "../../server/contract/snapshot-answers";

// The control plane's side of the agent API (worker/agent/server.ts). Errors are classified so a
// reconcile can tell "the node is away, wait and retry" from "the node said no, show why".

export type AgentAddress = { name: string; address: string; agentPort: number };

export type AgentIssue = { path: string; message: string };

export class AgentUnreachableError extends Error {
  constructor(readonly nodeName: string, readonly causeCode: string) {
    super(`Node ${nodeName} is not answering (${causeCode}); waiting for it to come back.`);
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

const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() }),
});

export const stepResultSchema = z.union([
  z.object({ step: z.string(), kind: z.string(), ok: z.literal(true) }),
  z.object({ step: z.string(), kind: z.string(), ok: z.literal(false), error: z.string() }),
]);
export type AgentStepResult = z.infer<typeof stepResultSchema>;

export const specResponseSchema = z.object({
  ok: z.boolean(),
  changes: z.number(),
  failed: z.number(),
  results: z.array(stepResultSchema),
});
export type SpecResponse = z.infer<typeof specResponseSchema>;

export const routesResponseSchema = z.object({
  ok: z.boolean(),
  applied: z.number(),
  stale: z.array(z.object({ siteId: z.string(), have: z.number(), got: z.number() })),
  // Agents from before the no-reload pause do not say; they reloaded whenever the file changed.
  reloaded: z.boolean().default(true),
});
export type RoutesResponse = z.infer<typeof routesResponseSchema>;

export const snapshotInfoSchema = z.object({ name: z.string(), takenAt: z.string(), sizeBytes: z.number().int().min(0), databases: z.array(z.string()) });

const createdSnapshotSchema = snapshotInfoSchema.extend({ timingsMs: z.object({ dump: z.number(), snapshot: z.number() }), keptDumps: z.array(z.string()).default([]), reused: z.boolean().default(false), notReused: z.string().optional() });
const promoteResultSchema = z.object({
  unchangedDatabases: z.array(z.string()).default([]),
  timingsMs: z.object({ keepCurrent: z.number(), files: z.number(), databases: z.number(), total: z.number() }),
});
const drainResultSchema = z.object({ drained: z.boolean(), inFlight: z.number().int().min(0), waitedMs: z.number().min(0) });

export const probeResultSchema = z.object({ reachable: z.boolean(), ms: z.number().min(0), status: z.number().int().nullable(), error: z.string().nullable() });

/** worker/agent/storage/usage.ts: disk use of each site live on the node (GET /v1/usage). */
export const usageReportSchema = z.object({
  storage: z.enum(["btrfs", "dir"]),
  measuredAt: z.string(),
  consistent: z.boolean(),
  sites: z
    .array(
      z.object({
        siteId: z.string(),
        filesBytes: z.number().int().min(0).nullable(),
        dumpBytes: z.number().int().min(0),
        snapshotBytes: z.number().int().min(0).nullable(),
        snapshots: z.number().int().min(0),
      }),
    )
    .max(100_000),
  databases: z.array(z.object({ name: z.string(), bytes: z.number().int().min(0) })).max(100_000),
  tookMs: z.number().min(0),
});
export type UsageReport = z.infer<typeof usageReportSchema>;


export type AgentClientOptions = { clusterSecret: string; timeoutMs?: number };

/** A fetch that never reached the agent (refused, reset, timed out): the node is away. */
function unreachable(nodeName: string, e: unknown): AgentUnreachableError {
  return new AgentUnreachableError(nodeName, e instanceof Error ? ((e.cause as { code?: string } | undefined)?.code ?? e.message) : String(e));
}

/** Reads an agent's JSON answer: its error (with the spec's issues) or, checked by `schema`, its value. */
async function readAnswer<T>(nodeName: string, res: Response, schema: z.ZodType<T>): Promise<T> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentRejectedError(nodeName, res.status, `not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const parsed = errorBody.safeParse(json);
    throw new AgentRejectedError(nodeName, res.status, parsed.success ? parsed.data.error.message : text.slice(0, 200), parsed.success ? (parsed.data.error.issues ?? []) : []);
  }
  // What a node reports back is untrusted too (STYLE 6).
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new AgentRejectedError(nodeName, res.status, `unexpected answer: ${parsed.error.message}`);
  return parsed.data;
}

export function agentClient(node: AgentAddress, opts: AgentClientOptions) {
  const token = agentSecret(opts.clusterSecret, node.name);
  const base = `http://${node.address}:${node.agentPort}`;

  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown, timeoutMs = opts.timeoutMs ?? 120_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw unreachable(node.name, e);
    }
    return readAnswer(node.name, res, schema);
  }

  /**
   * Streams snapshot `name` of a site from this node to `target` (incremental from `parent` when
   * both hold it): GET .../stream here piped into PUT .../stream there, never buffered whole.
   * Resolves the bytes that crossed and the received snapshot's info.
   */
  async function sendSnapshotTo(target: AgentClient, siteId: string, name: string, parent: string | null, sizeLater = false): Promise<{ bytes: number; info: z.infer<typeof snapshotInfoSchema> }> {
    const path = `/v1/sites/${encodeURIComponent(siteId)}/snapshots/${encodeURIComponent(name)}/stream`;
    let source: Response;
    try {
      source = await fetch(`${base}${path}${parent ? `?parent=${encodeURIComponent(parent)}` : ""}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3_600_000) });
    } catch (e) {
      throw unreachable(node.name, e);
    }
    if (!source.ok || !source.body) throw new AgentRejectedError(node.name, source.status, (await source.text()).slice(0, 300));
    let bytes = 0;
    const counted = source.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      }),
    );
    const info = await target.receiveStream(path, counted, source.headers.get("x-shoal-storage") ?? "", sizeLater);
    return { bytes, info };
  }

  /** `sizeLater`: listed at once, its size summed after the answer (a move's final delta). */
  async function receiveStream(path: string, body: ReadableStream<Uint8Array>, storage: string, sizeLater = false) {
    let res: Response;
    try {
      res = await fetch(`${base}${path}${sizeLater ? "?sizeLater=1" : ""}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "x-shoal-storage": storage },
        body,
        // @ts-expect-error Node's fetch streams a request body only in half-duplex mode.
        duplex: "half",
        signal: AbortSignal.timeout(3_600_000),
      });
    } catch (e) {
      throw unreachable(node.name, e);
    }
    const text = await res.text();
    if (!res.ok) throw new AgentRejectedError(node.name, res.status, text.slice(0, 300));
    return snapshotInfoSchema.parse(JSON.parse(text));
  }

  /** A snapshot's directory listing or a file's facts (its bytes are not read: the body is cancelled). */
  async function snapshotEntry(siteId: string, name: string, relPath: string): Promise<SnapshotEntryInfo> {
    const url = `${base}/v1/sites/${encodeURIComponent(siteId)}/snapshots/${encodeURIComponent(name)}/files?path=${encodeURIComponent(relPath)}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    } catch (e) {
      throw unreachable(node.name, e);
    }
    if (res.ok && res.headers.get("content-type")?.startsWith("application/octet-stream")) {
      await res.body?.cancel();
      const lastModified = res.headers.get("last-modified");
      return { type: "file", sizeBytes: Number(res.headers.get("content-length") ?? 0), mtime: lastModified ? new Date(lastModified).toISOString() : null };
    }
    return readAnswer(node.name, res, snapshotEntrySchema);
  }

  const promotePath = (siteId: string) => `/v1/sites/${encodeURIComponent(siteId)}/promote`;
  return {
    node,
    sendSnapshotTo,
    snapshotEntry,
    /** What restoring snapshot `name` would change (files and `databases`), nothing changed. */
    previewRollback: (siteId: string, name: string, databases: string[], limit = 200) =>
      call(
        "GET",
        `/v1/sites/${encodeURIComponent(siteId)}/snapshots/${encodeURIComponent(name)}/diff?limit=${limit}${databases.length ? `&databases=${databases.map(encodeURIComponent).join(",")}` : ""}`,
        rollbackPreviewSchema,
        undefined,
        60_000,
      ),
    /** One file of snapshot `name` back into the live site (replacing what is there). */
    restoreFile: (siteId: string, name: string, relPath: string) =>
      call("POST", `/v1/sites/${encodeURIComponent(siteId)}/restore-file`, z.object({ path: z.string(), sizeBytes: z.number().min(0) }), { name, path: relPath }, 60_000),
    receiveStream,
    putSpec: (spec: unknown) => call("PUT", "/v1/spec", specResponseSchema, spec),
    putRoutes: (routes: unknown) => call("PUT", "/v1/routes", routesResponseSchema, routes, 30_000),
    /** Spec and route table under one nginx reload (worker/agent/server.ts /v1/apply). */
    putApply: (spec: unknown, routes: unknown) => call("PUT", "/v1/apply", z.object({ spec: specResponseSchema, routes: routesResponseSchema }), { spec, routes }),
    /** Disk use of each site live on the node: files, dumps, snapshots, and its databases' files. */
    usage: (timeoutMs = 30_000) => call("GET", "/v1/usage", usageReportSchema, undefined, timeoutMs),
    metrics: <T>(schema: z.ZodType<T>, timeoutMs = 2_000) => call("GET", "/v1/metrics", schema, undefined, timeoutMs),
    /** Asks this node whether it reaches another node's front door (worker/agent/peer-probe.ts). */
    probe: (target: { address: string; port: number }, timeoutMs: number) =>
      call("POST", "/v1/probe", probeResultSchema, { ...target, timeoutMs }, timeoutMs + 1_000),
    /** worker/agent/storage/routes.ts: a snapshot of the site's files with its databases' dumps. */
    /** `sizeLater`: listed with its predecessor's size, its own summed after the answer (a move's final delta). */
    /** `reuseIfUnchanged`: answers that snapshot (reused: true) instead when the site is as it left it. */
    createSnapshot: (siteId: string, name: string, databases: string[], o: { sizeLater?: boolean; timeoutMs?: number; reuseIfUnchanged?: string } = {}) =>
      call(
        "POST",
        `/v1/sites/${encodeURIComponent(siteId)}/snapshots`,
        createdSnapshotSchema,
        { name, databases, ...(o.sizeLater ? { sizeLater: true } : {}), ...(o.reuseIfUnchanged ? { reuseIfUnchanged: o.reuseIfUnchanged } : {}) },
        o.timeoutMs,
      ),
    /** Makes snapshot `name` (on this node) the site's live volume and loads its databases' dumps (a standby is replaced, unchanged dumps not reloaded). */
    promote: (siteId: string, name: string, databases: string[], timeoutMs?: number) =>
      call("POST", promotePath(siteId), promoteResultSchema, { name, databases, keepCurrentAs: snapshotName("pre", new Date()) }, timeoutMs),
    /** Stages snapshot `name` as the site's standby here (a move's target): volume and databases, not routed. */
    stage: (siteId: string, name: string, databases: string[], timeoutMs?: number) => call("POST", promotePath(siteId), promoteResultSchema, { name, databases, standby: true }, timeoutMs),
    /** Waits up to timeoutMs for the site's requests in flight through this edge's hold service to finish. */
    drain: (siteId: string, timeoutMs: number) => call("POST", "/v1/routes/drain", drainResultSchema, { siteId, timeoutMs }, timeoutMs + 5_000),
    deleteSnapshot: (siteId: string, name: string) =>
      call("DELETE", `/v1/sites/${encodeURIComponent(siteId)}/snapshots/${encodeURIComponent(name)}`, z.object({ ok: z.literal(true) })),
    /** Rollback: the site's files and databases back to `name`; the state before is kept as `keepCurrentAs`. */
    restoreSnapshot: (siteId: string, name: string, keepCurrentAs: string, databases: string[]) =>
      call("POST", `/v1/sites/${encodeURIComponent(siteId)}/restore`, z.object({ restored: snapshotInfoSchema, kept: snapshotInfoSchema }), { name, keepCurrentAs, databases }),
  };
}

export type AgentClient = ReturnType<typeof agentClient>;
