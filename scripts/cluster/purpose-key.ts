// Prints one purpose's key (server/contract/cluster-secrets.ts), derived from SHOAL_CLUSTER_SECRET,
// so scripts/cluster.sh can hand a process the key it needs instead of the cluster secret.
//   SHOAL_CLUSTER_SECRET=... node --import tsx scripts/cluster/purpose-key.ts app-admin
import { z } from "zod";
import { purposeKey, secretPurposes } from "../../server/contract/cluster-secrets";

const purpose = z.enum(secretPurposes, { error: `The purpose must be one of: ${secretPurposes.join(", ")}.` }).parse(process.argv[2]);
console.log(purposeKey(process.env.SHOAL_CLUSTER_SECRET ?? "", purpose));
