// Exits 0 when the agent at ADDRESS:PORT answers GET /v1/health to a request signed with its
// token (read from stdin, never on the command line), over TLS with the control plane's
// certificate (SHOAL_CLUSTER_TLS_DIR), 1 otherwise. Used by scripts/cluster.sh.
//   printf '%s' "$token" | SHOAL_CLUSTER_TLS_DIR=var/cluster-tls node --import tsx scripts/cluster/agent-health.ts 127.0.1.1 7400
import { readFileSync } from "node:fs";
import { signedHeaders } from "../../server/contract/agent-signature";
import { agentUrl, controlTransport } from "../../server/contract/agent-transport";

const [address, port] = process.argv.slice(2);
const token = readFileSync(0, "utf8").trim();
const transport = controlTransport();
const res = await transport
  .fetch(agentUrl({ address: address!, port: Number(port) }, "/v1/health"), { headers: signedHeaders(token, "GET", "/v1/health"), signal: AbortSignal.timeout(2_000) })
  .catch(() => null);
process.exit(res?.ok ? 0 : 1);
