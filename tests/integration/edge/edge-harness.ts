import http from "node:http";
import { signedHeaders } from "../../../server/contract/agent-signature";
import { agentUrl, controlTransport } from "../../../server/contract/agent-transport";

// HTTP helpers for the edge tests: a request with a chosen source address (so the test knows the
// client address PHP must see), any method and body; and a JSON call to an agent's API.

export type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

export function request(opts: {
  address: string;
  port: number;
  host: string;
  path: string;
  method?: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  localAddress?: string;
  timeoutMs?: number;
}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers, host: opts.host };
  if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.address,
        port: opts.port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers,
        localAddress: opts.localAddress,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${opts.method ?? "GET"} http://${opts.host}${opts.path} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A request whose settling the test can observe without awaiting it. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  const settledPromise = promise.finally(() => (done = true));
  // The test awaits `promise` later; an early rejection must not count as unhandled meanwhile.
  settledPromise.catch(() => {});
  return { promise: settledPromise, settled: () => done };
}

export type AgentCall = { status: number; json: any };

/** A call signed with the agent's secret, over TLS with the control plane's certificate, as the control plane makes it. */
export async function agentCall(agent: { address: string; port: number; secret: string }, method: string, path: string, body?: unknown): Promise<AgentCall> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const res = await controlTransport().fetch(agentUrl(agent, path), {
    method,
    body: text,
    headers: { ...signedHeaders(agent.secret, method, path, text), ...(text === undefined ? {} : { "content-type": "application/json" }) },
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, json: await res.json() };
}
