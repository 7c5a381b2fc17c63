import path from "node:path";
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from "undici";
import { agentOrigin, readTlsIdentity, type TlsIdentity } from "./cluster-tls";

// How a caller reaches agents: HTTPS through one undici Agent per identity, which presents the
// identity's client certificate, trusts the cluster CA alone (not the system's roots) and checks
// that the agent's certificate names the address it dialled (SAN IP), so a server that is not
// that node, or holds another CA's certificate, is refused before a byte of the request is sent.
// Connections are kept alive between calls (a handshake costs more than a signed request: figures
// in bench/README.md). undici's own fetch is used with its own Agent, so the two always match,
// whatever undici version this Node bundles. The signature (agent-signature.ts) stays on every
// request: TLS authenticates the control plane as a whole, the signature the call for one node.

export type AgentFetch = (url: string, init?: RequestInit) => Promise<Response>;
export type AgentTransport = { fetch: AgentFetch; close(): Promise<void> };

export function agentTransport(identity: TlsIdentity): AgentTransport {
  const dispatcher = new Agent({
    connect: { ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: "TLSv1.3" },
    // Snapshot streams run for minutes: the body's idle limit is the agent's (storage/routes.ts).
    bodyTimeout: 0,
  });
  return {
    fetch: (url, init = {}) => undiciFetch(url, { ...init, dispatcher }),
    close: () => dispatcher.close(),
  };
}

/** Where `npm start` keeps the control workers' identity (scripts/cluster.sh, ensure_cluster_tls). */
export const defaultControlTlsDir = path.resolve(import.meta.dirname, "../../var/cluster-tls");

/** The directory of the control plane's identity: SHOAL_CLUSTER_TLS_DIR, else var/cluster-tls. */
export const controlTlsDir = () => process.env.SHOAL_CLUSTER_TLS_DIR || defaultControlTlsDir;

let shared: { dir: string; transport: AgentTransport } | null = null;

/**
 * The control plane's transport, one per process (its connections are shared by every call to
 * every node), read from controlTlsDir() on first use. Throws, naming the file, when the
 * identity is missing: the control worker calls it at start so that fails at once.
 */
export function controlTransport(): AgentTransport {
  const dir = controlTlsDir();
  if (shared?.dir !== dir) {
    const transport = agentTransport(readTlsIdentity(dir));
    void shared?.transport.close();
    shared = { dir, transport };
  }
  return shared.transport;
}

/** An agent's URL for a path and query: https://address:port/path. */
export const agentUrl = (agent: { address: string; port: number }, pathAndQuery: string) => `${agentOrigin(agent.address, agent.port)}${pathAndQuery}`;
