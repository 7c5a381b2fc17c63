import { isIPv4 } from "node:net";
import { z } from "zod";
import { errorFields, processLogger, toLog } from "../../server/observability/logger";
import { describeIssues, loadEnvOrExit } from "../../server/parse-env";
import { nodeConfigSchema, nodeRoot } from "./node-root";
import { startAccountSweeper } from "./account-sweeper";
import { startDnsWatchdog } from "./drivers/pdns";
import { resumeNode } from "./resume";
import { startAgentServer } from "./server";
import { readSftpHostKey, readTlsIdentity, sftpHostKeyFile } from "../../server/contract/cluster-tls";

// The agent's entry point: one per node, started by the cluster script (or systemd) as root,
// because it creates Unix users and owns the node's nginx, php-fpm and MariaDB masters.

const port = (what: string) =>
  z.coerce.number({ error: `${what} must be a port number.` }).int(`${what} must be a port number.`).min(1).max(65535);

const commaList = z
  .string()
  .default("")
  .transform((value) => value.split(",").map((part) => part.trim()).filter((part) => part !== ""));

// JSON lines on stdout (server/observability/logger.ts); the edge's lines say component "edge".
const logger = processLogger("agent");
const edgeLogger = logger.child({ component: "edge" });

const envSchema = z.object({
  AGENT_HOST: z.string().refine(isIPv4, "AGENT_HOST must be the node's IPv4 address, such as 127.0.10.1."),
  AGENT_PORT: port("AGENT_PORT"),
  // Long enough that guessing is hopeless; the control plane generates it per node.
  AGENT_SECRET: z
    .string({ error: "AGENT_SECRET is required." })
    .min(32, "AGENT_SECRET must be at least 32 characters.")
    .regex(/^[\x21-\x7e]+$/, "AGENT_SECRET must be printable ASCII without spaces (it travels in a header)."),
  NODE_ROOT: z.string({ error: "NODE_ROOT is required: the directory that holds this node's files." }),
  // The node's TLS identity (ca.crt, cert.pem, key.pem from scripts/cluster/cluster-tls.ts);
  // default <NODE_ROOT>/tls. Read at start and again on SIGHUP (a renewed certificate).
  AGENT_TLS_DIR: z.string().optional(),
  // The node's front door and its MariaDB listen on the same address as the agent.
  NODE_HTTP_PORT: port("NODE_HTTP_PORT").default(80),
  NODE_MYSQL_PORT: port("NODE_MYSQL_PORT").default(3306),
  // The site vhosts (only front doors reach them) and the agent's hold service (paused sites).
  NODE_BACKEND_PORT: port("NODE_BACKEND_PORT").default(8080),
  NODE_HOLD_PORT: port("NODE_HOLD_PORT").default(8081),
  // The SFTP gateway on the node's address (sftp/gateway.ts); it runs when the TLS directory holds
  // the cluster's SFTP host key (sftp_host_key, from scripts/cluster/cluster-tls.ts).
  NODE_SFTP_PORT: port("NODE_SFTP_PORT").default(2222),
  // More front-door listeners, "IPv4:port,IPv4:port" (checked by nodeConfigSchema).
  NODE_EXTRA_LISTEN: commaList,
  // Other nodes' addresses or CIDR blocks, whose X-Forwarded-For the backend believes.
  NODE_TRUSTED_PROXIES: commaList,
  // Where sites and snapshots live: "btrfs" needs a btrfs file system mounted at NODE_ROOT/store.
  NODE_STORAGE: z.enum(["btrfs", "dir"], { error: 'NODE_STORAGE must be "btrfs" or "dir".' }).default("dir"),
  // Directories customers' processes must not see, "path,path" (the control plane's state when it
  // shares the machine).
  NODE_PRIVATE_PATHS: commaList,
  // Bench only (bench/node-loss.ts compares against it): "1" gives a GET whose site's backend is
  // unreachable the 502 page at once, as before such requests waited. Never set on a real node.
  SHOAL_BENCH_FAIL_UNREACHABLE: z.enum(["0", "1"]).default("0"),
  // Bench only: "1" runs the node's accounts without limits, egress rules or quotas (node-root.ts).
  SHOAL_BENCH_UNCONFINED: z.enum(["0", "1"], { error: 'SHOAL_BENCH_UNCONFINED must be "0" or "1".' }).default("0"),
});

async function main(): Promise<void> {
  const env = loadEnvOrExit(envSchema, "agent", "agent");
  const config = nodeConfigSchema.safeParse({
    root: env.NODE_ROOT,
    address: env.AGENT_HOST,
    httpPort: env.NODE_HTTP_PORT,
    backendPort: env.NODE_BACKEND_PORT,
    holdPort: env.NODE_HOLD_PORT,
    extraListen: env.NODE_EXTRA_LISTEN,
    trustedProxies: env.NODE_TRUSTED_PROXIES,
    mysqlPort: env.NODE_MYSQL_PORT,
    storage: env.NODE_STORAGE,
    privatePaths: env.NODE_PRIVATE_PATHS,
    unconfined: env.SHOAL_BENCH_UNCONFINED === "1",
  });
  if (!config.success) {
    logger.fatal(describeIssues("node's configuration", config.error));
    process.exit(1);
  }
  const node = nodeRoot(config.data);
  if (node.unconfined) logger.warn("SHOAL_BENCH_UNCONFINED=1: this node's accounts run without cgroup limits, egress rules, disk quotas or mount namespaces. For benchmarks only.");
  // Before anything starts: an agent without its certificate must not resume half a node.
  const tlsDir = env.AGENT_TLS_DIR ?? node.tlsDir;
  const identity = readTlsIdentity(tlsDir);
  // After a crash or reboot of the node its masters come back as they were, the front door once
  // the control plane has sent the current routes (resume.ts).
  const resumed = await resumeNode(node, { log: toLog(logger) });
  const sftpHostKey = readSftpHostKey(tlsDir);
  if (!sftpHostKey) logger.warn({ tlsDir }, `No ${sftpHostKeyFile} in the TLS directory: this node runs no SFTP gateway.`);
  startAccountSweeper(node, { log: toLog(logger, "warn") });
  startDnsWatchdog(node, { log: toLog(logger, "warn") });
  const server = await startAgentServer({
    host: env.AGENT_HOST,
    port: env.AGENT_PORT,
    secret: env.AGENT_SECRET,
    nodeRoot: node,
    tls: identity,
    sftp: sftpHostKey ? { port: env.NODE_SFTP_PORT, hostKey: sftpHostKey, log: toLog(logger.child({ component: "sftp" })) } : null,
    onRoutesApplied: resumed.routesApplied,
    awaitingRoutes: resumed.awaitingRoutes,
    edge: { log: toLog(edgeLogger, "warn"), failUnreachable: env.SHOAL_BENCH_FAIL_UNREACHABLE === "1" },
  });
  logger.info({ address: env.AGENT_HOST, port: server.port, nodeRoot: node.root }, `Shoal agent listening on https://${env.AGENT_HOST}:${server.port} for node ${node.root}`);
  process.on("SIGHUP", () => {
    try {
      server.setTls(readTlsIdentity(tlsDir));
      logger.info({ tlsDir }, "SIGHUP: new connections present the certificate now in the TLS directory.");
    } catch (e) {
      logger.error(errorFields(e), "SIGHUP: the TLS identity could not be read; the agent keeps the one it had.");
    }
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing the agent (the node's nginx, php-fpm and MariaDB keep running).`);
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error(errorFields(e), "Closing the agent failed.");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  logger.fatal(errorFields(e), e instanceof Error ? e.message : String(e));
  process.exit(1);
});
