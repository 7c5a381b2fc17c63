import type { IncomingMessage } from "node:http";
import { pipeline } from "node:stream/promises";
import type { z } from "zod";
import { usageReportSchema } from "../../../server/contract/node-usage";
import {
  createdSnapshotSchema,
  promoteAnswerSchema,
  receivedSnapshotSchema,
  restoreAnswerSchema,
  restoreFileAnswerSchema,
  rollbackPreviewSchema,
  snapshotDeletedSchema,
  snapshotEntrySchema,
  snapshotListSchema,
} from "../../../server/contract/snapshot-answers";
import {
  createSnapshotRequestSchema,
  promoteRequestSchema,
  restoreFileRequestSchema,
  restoreRequestSchema,
  rollbackPreviewQuerySchema,
  streamStorageHeader,
} from "../../../server/contract/snapshot-requests";
import { siteIdSchema, snapshotNameSchema } from "../../../server/contract/storage-names";
import { AgentError, parseOr422 } from "../agent-error";
import type { NodeRoot } from "../node-root";
import { answer, readJsonBody, type AgentRoute, type RouteCall } from "../router";
import type { AgentLock } from "../serialise";
import { previewRollback } from "./rollback-preview";
import { siteStorage, type SiteStorage } from "./site-storage";

// The agent's snapshot API (registered by ../server.ts after the bearer check):
//   POST   /v1/sites/:id/snapshots                 {name, databases, sizeLater?, reuseIfUnchanged?} → the snapshot
//   GET    /v1/sites/:id/snapshots                                           → {snapshots}
//   DELETE /v1/sites/:id/snapshots/:name
//   POST   /v1/sites/:id/restore                   {name, keepCurrentAs, databases?}
//   GET    /v1/sites/:id/snapshots/:name/files?path=P                        → a listing, or the file's bytes
//   POST   /v1/sites/:id/restore-file              {name, path}
//   GET    /v1/sites/:id/snapshots/:name/diff?databases=a,b&limit=N          → RollbackPreview
//          (what restoring it would change: files and databases; rollback-preview.ts)
//   POST   /v1/sites/:id/promote                   {name, databases?, keepCurrentAs?, standby?} → PromoteResult
//          (snapshot name becomes the live volume, its dumps the databases: a move or a failover)
//   GET    /v1/sites/:id/snapshots/:name/stream?parent=P                     → the send stream
//   PUT    /v1/sites/:id/snapshots/:name/stream?sizeLater=1 (the stream as the body) → the received snapshot
//   GET    /v1/usage                                                         → UsageReport
//          (disk use of each site live here: files, dumps, snapshots; databases; each account:
//          disk against its limit and cgroup counters; usage.ts, account-quota.ts)
// The bodies and answers are the contract's (server/contract/snapshot-*.ts). A stream says which
// driver made it (x-shoal-storage); a node only takes its own kind.

/** Largest snapshot stream a node takes in one PUT. */
export const maxReceiveBytes = 64 * 1024 ** 3;
/** A receive whose sender goes quiet this long is cut. */
const receiveIdleMs = 60_000;

const streamPath = /^\/v1\/sites\/([^/]+)\/snapshots\/([^/]+)\/stream$/;

/** True when the request is a snapshot stream upload (the server gives it no overall time limit). */
export function isStreamUpload(req: IncomingMessage): boolean {
  return req.method === "PUT" && streamPath.test((req.url ?? "/").split("?")[0] ?? "/");
}

export type StorageRoutesContext = {
  /** The agent's lock (converges, route changes): restores change the live site and take it too. */
  lock: AgentLock;
};

const parse = <S extends z.ZodType>(schema: S, value: unknown, what: string) => parseOr422(schema, value, "INVALID", `The ${what} is invalid.`);

/** A route's site id and snapshot name, from the path; a malformed one is a 422. */
function ids(params: readonly string[]): { siteId: string; name: string } {
  const [rawId = "", rawName] = params;
  const siteId = parse(siteIdSchema, decodeURIComponent(rawId), "site id");
  const name = rawName === undefined ? "" : parse(snapshotNameSchema, decodeURIComponent(rawName), "snapshot name");
  return { siteId, name };
}
const checkIds = (params: readonly string[]) => void ids(params);

/** /v1/sites/:id/<leaf> or /v1/sites/:id/snapshots/:name/<leaf> */
const site = (leaf: string) => new RegExp(`^/v1/sites/([^/]+)/${leaf}$`);
const snapshot = (leaf: string) => new RegExp(`^/v1/sites/([^/]+)/snapshots/([^/]+)${leaf ? `/${leaf}` : ""}$`);

export function storageRoutes(node: NodeRoot, context: StorageRoutesContext): AgentRoute[] {
  const storage = siteStorage(node);
  const { lock } = context;
  const route = (path: RegExp, methods: AgentRoute["methods"]): AgentRoute => ({ path, check: checkIds, methods });
  return [
    { path: "/v1/usage", methods: { GET: async () => answer(usageReportSchema, await storage.measureUsage()) } },
    route(site("snapshots"), {
      GET: async ({ params }) => answer(snapshotListSchema, { storage: storage.kind, snapshots: await storage.listSnapshots(ids(params).siteId) }),
      POST: async ({ req, params }) => {
        const body = parse(createSnapshotRequestSchema, await readJsonBody(req), "body");
        const made = await storage.createSnapshot(ids(params).siteId, body.name, { databases: body.databases, ...(body.sizeLater ? { sizeLater: true } : {}), ...(body.reuseIfUnchanged ? { reuseIfUnchanged: body.reuseIfUnchanged } : {}) });
        // 200: nothing was made, the site is still that snapshot.
        return answer(createdSnapshotSchema, made, made.reused ? 200 : 201);
      },
    }),
    route(snapshot(""), {
      DELETE: async ({ params }) => {
        const { siteId, name } = ids(params);
        await storage.deleteSnapshot(siteId, name);
        return answer(snapshotDeletedSchema, { ok: true });
      },
    }),
    route(snapshot("files"), { GET: (call) => snapshotFile(storage, call) }),
    route(snapshot("diff"), {
      GET: async ({ params, url }) => {
        const { siteId, name } = ids(params);
        const query = parse(rollbackPreviewQuerySchema, Object.fromEntries(url.searchParams), "query");
        return answer(rollbackPreviewSchema, await previewRollback(node, storage, siteId, name, { databases: query.databases, limits: { listed: query.limit } }));
      },
    }),
    route(snapshot("stream"), { GET: (call) => sendStream(storage, call), PUT: (call) => receiveStream(storage, call) }),
    route(site("restore"), {
      POST: async ({ req, params }) => {
        const body = parse(restoreRequestSchema, await readJsonBody(req), "body");
        const siteId = ids(params).siteId;
        const result = await lock.run(() => storage.restoreSnapshot(siteId, body.name, { keepCurrentAs: body.keepCurrentAs, ...(body.databases ? { databases: body.databases } : {}) }));
        return answer(restoreAnswerSchema, result);
      },
    }),
    route(site("promote"), {
      POST: async ({ req, params }) => {
        const body = parse(promoteRequestSchema, await readJsonBody(req), "body");
        const siteId = ids(params).siteId;
        const options = { ...(body.databases ? { databases: body.databases } : {}), ...(body.keepCurrentAs ? { keepCurrentAs: body.keepCurrentAs } : {}), ...(body.standby ? { standby: true } : {}) };
        // The agent's lock too: a converge must never observe the store half-swapped.
        return answer(promoteAnswerSchema, await lock.run(() => storage.promoteSnapshot(siteId, body.name, options)));
      },
    }),
    route(site("restore-file"), {
      POST: async ({ req, params }) => {
        const body = parse(restoreFileRequestSchema, await readJsonBody(req), "body");
        const siteId = ids(params).siteId;
        return answer(restoreFileAnswerSchema, await lock.run(() => storage.restoreFile(siteId, body.name, body.path)));
      },
    }),
  ];
}

/** A directory's listing or a symlink as JSON; a file as its bytes, its facts in the headers. */
async function snapshotFile(storage: SiteStorage, { res, params, url }: RouteCall) {
  const { siteId, name } = ids(params);
  const entry = await storage.readSnapshotFile(siteId, name, url.searchParams.get("path") ?? "");
  if (entry.type !== "file") return answer(snapshotEntrySchema, entry);
  res.writeHead(200, {
    "content-type": "application/octet-stream",
    "content-length": entry.sizeBytes,
    "last-modified": new Date(entry.mtime).toUTCString(),
    "x-shoal-mode": entry.mode.toString(8),
    "cache-control": "no-store",
  });
  await pipeline(entry.open(), res);
}

async function sendStream(storage: SiteStorage, { res, params, url }: RouteCall) {
  const { siteId, name } = ids(params);
  const parent = url.searchParams.get("parent");
  const stream = await storage.sendSnapshot(siteId, name, parent === null ? undefined : parse(snapshotNameSchema, parent, "parent"));
  res.writeHead(200, { "content-type": "application/octet-stream", [streamStorageHeader]: storage.kind, "cache-control": "no-store" });
  // A failed send cuts the response (no clean end), so the receiver refuses it.
  await pipeline(stream, res).catch(() => res.destroy());
}

async function receiveStream(storage: SiteStorage, { req, params, url }: RouteCall) {
  const { siteId, name } = ids(params);
  if (!/^application\/octet-stream\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
    throw new AgentError(415, "UNSUPPORTED_MEDIA_TYPE", "The body must be application/octet-stream.");
  }
  if (req.headers[streamStorageHeader] !== storage.kind) {
    throw new AgentError(422, "INVALID", `This node's storage is ${storage.kind}; the stream must come from the same driver (x-shoal-storage).`);
  }
  if (Number(req.headers["content-length"]) > maxReceiveBytes) throw new AgentError(413, "PAYLOAD_TOO_LARGE", `A stream must be at most ${maxReceiveBytes} bytes.`);
  req.setTimeout(receiveIdleMs, () => req.destroy(new Error("The sender went quiet.")));
  // ?sizeLater=1: see SiteStorage.createSnapshot (a move's final delta).
  const received = await storage.receiveSnapshot(siteId, req, { name, maxBytes: maxReceiveBytes, ...(url.searchParams.get("sizeLater") === "1" ? { sizeLater: true } : {}) });
  return answer(receivedSnapshotSchema, received, 201);
}
