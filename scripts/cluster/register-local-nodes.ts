// Registers the local cluster's nodes in Postgres (idempotent: upsert by name), so the control
// worker finds them. Used by scripts/cluster.sh and by the cluster test harness:
//   DATABASE_URL=... node --import tsx scripts/cluster/register-local-nodes.ts \
//     node-1=127.0.1.1 node-2=127.0.1.2 ...   (ports from AGENT_PORT, NODE_HTTP_PORT, NODE_BACKEND_PORT, NODE_SFTP_PORT)
// A node that exists keeps its status, capacity and history; only where it listens is updated.
import { pathToFileURL } from "node:url";
import type { PrismaClient } from "../../server/generated/prisma/client";
import { localNodeSchema, type LocalNodeInput } from "./local-nodes";

export async function registerNodes(db: PrismaClient, nodes: readonly LocalNodeInput[]): Promise<void> {
  for (const input of nodes) {
    const node = localNodeSchema.parse(input);
    const listen = { address: node.address, agentPort: node.agentPort, httpPort: node.httpPort, backendPort: node.backendPort, sftpPort: node.sftpPort };
    await db.node.upsert({ where: { name: node.name }, create: { name: node.name, ...listen }, update: listen });
  }
}

async function main(): Promise<void> {
  const nodes = process.argv.slice(2).map((arg) => {
    const [name, address] = arg.split("=");
    return localNodeSchema.parse({
      name,
      address,
      agentPort: process.env.AGENT_PORT ?? 7400,
      httpPort: process.env.NODE_HTTP_PORT ?? 80,
      backendPort: process.env.NODE_BACKEND_PORT ?? 8080,
      sftpPort: process.env.NODE_SFTP_PORT ?? 2222,
    });
  });
  // Imported here, not at the top: server/db reads the environment, which the harness sets later.
  const { db } = await import("../../server/db");
  try {
    await registerNodes(db, nodes);
  } finally {
    await db.$disconnect();
  }
  for (const n of nodes) console.log(`registered ${n.name} at ${n.address} (agent :${n.agentPort}, http :${n.httpPort}, sftp :${n.sftpPort})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
