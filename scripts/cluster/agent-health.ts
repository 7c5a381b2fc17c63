// Exits 0 when the agent at ADDRESS:PORT answers GET /v1/health to a request signed with its
// token (read from stdin, never on the command line), 1 otherwise. Used by scripts/cluster.sh.
//   printf '%s' "$token" | node --import tsx scripts/cluster/agent-health.ts 127.0.1.1 7400
import { readFileSync } from "node:fs";
import { signedHeaders } from "../../server/contract/agent-signature";

const [address, port] = process.argv.slice(2);
const token = readFileSync(0, "utf8").trim();
const res = await fetch(`http://${address}:${port}/v1/health`, { headers: signedHeaders(token, "GET", "/v1/health"), signal: AbortSignal.timeout(2_000) }).catch(() => null);
process.exit(res?.ok ? 0 : 1);
