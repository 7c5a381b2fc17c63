// Makes the cluster CA if it is missing and writes the TLS identities asked for (a directory each:
// ca.crt, cert.pem, key.pem, owner-only), keeping any that are still good (scripts/cluster/cluster-ca.ts).
// Used by scripts/cluster.sh on every `npm start`; an operator runs it, on the machine that keeps
// the CA, to give a real node its files, then copies the directory to that node's AGENT_TLS_DIR
// (default <NODE_ROOT>/tls) as root and sends the agent SIGHUP (or restarts it).
//
//   node --import tsx scripts/cluster/cluster-tls.ts control var/cluster-tls
//   node --import tsx scripts/cluster/cluster-tls.ts node node-4 10.0.0.14 /tmp/node-4-tls [node node-5 ...]
//
// The CA lives in CLUSTER_CA_DIR (default var/cluster-ca). Prints one line per identity.
import path from "node:path";
import { certificateRoles } from "../../server/contract/cluster-tls";
import { ensureClusterCa, ensureTlsIdentity, type CertificateSubject } from "./cluster-ca";

const usage = "usage: cluster-tls.ts (control DIR | node NAME ADDRESS DIR)...";
export const defaultCaDir = path.resolve(import.meta.dirname, "../../var/cluster-ca");

function parse(args: string[]): { subject: CertificateSubject; dir: string }[] {
  const wanted: { subject: CertificateSubject; dir: string }[] = [];
  for (let i = 0; i < args.length; ) {
    const kind = args[i];
    if (kind === "control" && args[i + 1]) {
      wanted.push({ subject: { role: certificateRoles.controlPlane, name: certificateRoles.controlPlane }, dir: args[i + 1]! });
      i += 2;
    } else if (kind === "node" && args[i + 3]) {
      wanted.push({ subject: { role: certificateRoles.node, name: args[i + 1]!, address: args[i + 2]! }, dir: args[i + 3]! });
      i += 4;
    } else {
      throw new Error(usage);
    }
  }
  if (wanted.length === 0) throw new Error(usage);
  return wanted;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  try {
    const wanted = parse(process.argv.slice(2));
    const caDir = path.resolve(process.env.CLUSTER_CA_DIR || defaultCaDir);
    await ensureClusterCa(caDir);
    for (const { subject, dir } of wanted) {
      const done = await ensureTlsIdentity(caDir, path.resolve(dir), subject);
      const what = `${subject.role} ${subject.name}${subject.address ? ` (${subject.address})` : ""}`;
      console.log(done.issued ? `issued ${what} into ${done.dir} (${done.reason}), valid until ${done.validTo}` : `kept ${what} in ${done.dir}, valid until ${done.validTo}`);
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
