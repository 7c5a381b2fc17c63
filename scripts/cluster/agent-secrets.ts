// Prints "<node name> <agent token>" for each node name given, derived from SHOAL_CLUSTER_SECRET
// exactly as the control plane derives it (server/contract/cluster-secrets.ts), so the local
// cluster's agents accept the control worker's calls. Used by scripts/cluster.sh.
//   SHOAL_CLUSTER_SECRET=... node --import tsx scripts/cluster/agent-secrets.ts node-1 node-2
import { agentSecret } from "../../server/contract/cluster-secrets";
import { localNodeNameSchema } from "./local-nodes";

const clusterSecret = process.env.SHOAL_CLUSTER_SECRET ?? "";
for (const arg of process.argv.slice(2)) {
  const name = localNodeNameSchema.parse(arg);
  console.log(`${name} ${agentSecret(clusterSecret, name)}`);
}
