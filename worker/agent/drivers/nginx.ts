import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { renderEdgeConf, renderFrontDoor } from "../../edge/render-edge";
import { renderTlsConf } from "../../edge/render-tls";
import { loadRouteTable } from "../../edge/route-store";
import { readTextIfExists, replaceChecked, writeFileAtomic } from "../config-file";
import { runningPid, stopDaemon } from "../daemon";
import type { NodeRoot } from "../node-root";
import type { Provider } from "../../../server/contract/node-spec";
import { runCommand } from "../run-command";
import { waitFor } from "../wait-for";

// The node's own nginx master (not Debian's service): its main config, pid, logs and temp paths
// all live under the node root, and it listens only on the node's address. Two kinds of listener:
// the front door on httpPort (worker/edge/render-edge.ts: every domain arrives there and is proxied one hop)
// and the site vhosts on backendPort, which only front doors and the hold service reach.

const nginxBinary = "/usr/sbin/nginx";

export function renderNginxConf(node: NodeRoot): string {
  const temp = (name: string) => `${node.nginxTempDir}/${name}`;
  return `# Written by the Shoal agent; changes are overwritten.
user www-data;
# One worker per core: the front door and the backend share these workers, and a hop through the
# front door is two requests of work for the node.
worker_processes auto;
# A held request costs two connections (the visitor's and the one parked at the hold service):
# 200 requests/s held for a few seconds is thousands.
worker_rlimit_nofile 65536;
pid ${node.nginxPid};
error_log ${node.logDir}/nginx-error.log warn;

events {
    worker_connections 16384;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${node.logDir}/nginx-access.log;
    sendfile on;
    server_tokens off;
    # A domain may be 253 characters; the default bucket (the CPU's cache line) holds about 60.
    server_names_hash_bucket_size 256;
    client_max_body_size 1024m;

    # Started by hand, nginx would otherwise use the compiled-in paths under /var/lib/nginx.
    client_body_temp_path ${temp("client_body")};
    proxy_temp_path ${temp("proxy")};
    fastcgi_temp_path ${temp("fastcgi")};
    uwsgi_temp_path ${temp("uwsgi")};
    scgi_temp_path ${temp("scgi")};

${renderFrontDoor(node)}
    # The route table: upstreams and the Host map the front door reads (written by the agent).
    include ${node.edgeConf};
    # TLS on the front door: a server per certificate, and the HTTPS settings' maps (render-tls.ts).
    include ${node.tlsConf};

    # A host this node's backend does not serve gets a plain 404, never some other customer's site.
    server {
        listen ${node.address}:${node.backendPort} default_server;
        listen unix:${node.backendSocket} default_server;
        server_name _;
        return 404;
    }

    include ${node.vhostDir}/*.conf;
}
`;
}

export const suspendedPageHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Site suspended</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>This site is suspended</h1>
<p>The owner of this site can contact their hosting provider to restore it.</p>
</body></html>
`;

/**
 * Text for HTML and for a single-quoted nginx string at once: there `'` ends the string, `\`
 * escapes and `$` starts a variable, so those become character references too.
 */
function escapeForInlinePage(text: string): string {
  return text.replace(/[&<>"'\\$]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The suspended page under the provider's own name (the reseller's brand), on one line. */
export function brandedSuspendedPage(provider: Provider): string {
  const name = escapeForInlinePage(provider.name);
  const contact = provider.supportEmail
    ? `contact <a href="mailto:${escapeForInlinePage(provider.supportEmail)}">${name}</a>`
    : `contact ${name}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Site suspended - ${name}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
    `<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">` +
    `<h1>This site is suspended</h1><p>This site is hosted by ${name}. Its owner can ${contact} to restore it.</p></body></html>`
  );
}

export type VhostInput = {
  siteId: string;
  domains: readonly string[];
  status: "ACTIVE" | "SUSPENDED";
  siteDir: string;
  documentRoot: string;
  /** Names the suspended page; null: the node's generic page. */
  provider?: Provider | null;
};

/** Every value has been grammar-checked (server/contract/node-spec.ts), so none can end a directive or open a block. */
export function renderVhost(node: NodeRoot, site: VhostInput): string {
  // The backend port: only front doors and the hold service connect here. They set
  // X-Forwarded-For to the client they saw, so PHP's REMOTE_ADDR is the client's, believed only
  // from those peers: this node's front door (the unix socket), a hop bound to this node's address
  // (the hold service, the front door to its own TCP port) and other nodes' front doors. Not all of
  // loopback: any local process can connect from 127.0.0.1 and say whatever it likes.
  const trusted = ["unix:", node.address, ...node.trustedProxies];
  const head = `# Shoal site ${site.siteId}; written by the agent, changes are overwritten.
server {
    listen ${node.address}:${node.backendPort};
    listen unix:${node.backendSocket};
    server_name ${site.domains.join(" ")};
${[...new Set(trusted)].map((from) => `    set_real_ip_from ${from};
`).join("")}    real_ip_header X-Forwarded-For;
`;
  if (site.status === "SUSPENDED" && site.provider) {
    // Inline, so each reseller's page needs no file of its own to write, diff and remove.
    return `${head}
    location / {
        default_type text/html;
        add_header Retry-After 3600 always;
        return 503 '${brandedSuspendedPage(site.provider)}';
    }
}
`;
  }
  if (site.status === "SUSPENDED") {
    return `${head}
    root ${node.nginxDir}/suspended;
    error_page 503 /index.html;
    location = /index.html {
        internal;
    }
    location / {
        return 503;
    }
}
`;
  }
  return `${head}
    root ${site.siteDir}/${site.documentRoot};
    index index.php index.html index.htm;
    # nginx's workers read every account's files (group www-data), so a symlink the account
    # planted (to another account's wp-config.php, /etc/passwd, the node's config) would serve
    # what the account itself cannot read. Below the site directory a symlink is followed only
    # when the link and its target have the same owner: the account's links to its own files
    # still work. Above it the path is the node's own (checked once, not per request). It also
    # governs try_files, so a .php link never reaches php-fpm either.
    disable_symlinks if_not_owner from=${site.siteDir};

    # Dotfiles (.env, .git, .htaccess with secrets) are never served; ACME challenges are.
    location ~ /\\.(?!well-known/) {
        deny all;
    }

    location / {
        try_files $uri $uri/ /index.php$is_args$args;
    }

    location ~ \\.php$ {
        try_files $fastcgi_script_name =404;
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        # The headers PHP apps read for the client's address say what REMOTE_ADDR says (nginx then
        # drops the request's own), so no app believes an address a client wrote.
        fastcgi_param HTTP_X_FORWARDED_FOR $remote_addr;
        fastcgi_param HTTP_X_REAL_IP $remote_addr;
        fastcgi_pass unix:${node.poolSocket(site.siteId)};
    }
}
`;
}

/** `nginx -t` against the node's whole configuration; throws with nginx's own message. */
export async function checkNginxConfig(node: NodeRoot): Promise<void> {
  await runCommand(nginxBinary, ["-t", "-q", "-c", node.nginxConf]);
}

export async function nginxPid(node: NodeRoot): Promise<number | null> {
  return runningPid(node.nginxPid, node.nginxConf);
}

/** Writes the main config and the suspended page; the main config is checked before it stays. */
export async function ensureNginxMain(node: NodeRoot): Promise<void> {
  if ((await readTextIfExists(node.suspendedPage)) !== suspendedPageHtml) {
    await writeFileAtomic(node.suspendedPage, suspendedPageHtml);
  }
  await ensureEdgeConf(node);
  // Its maps are read by the front door above; the converge writes the real one next.
  if ((await readTextIfExists(node.tlsConf)) === null) await writeFileAtomic(node.tlsConf, renderTlsConf(node, { certificates: [], challenges: [] }));
  await replaceChecked(node.nginxConf, renderNginxConf(node), () => checkNginxConfig(node));
}

/**
 * nginx.conf includes edge.conf, so it must exist before nginx.conf is checked. The agent's edge
 * (worker/edge/edge-routes.ts) owns its content; this only fills in a missing file, from the
 * stored route table (none yet: every host 404s at the front door).
 */
async function ensureEdgeConf(node: NodeRoot): Promise<void> {
  if ((await readTextIfExists(node.edgeConf)) !== null) return;
  await mkdir(path.dirname(node.edgeConf), { recursive: true });
  await writeFileAtomic(node.edgeConf, renderEdgeConf(node, await loadRouteTable(node)));
}

/** Installs (or, with null, removes) one site's vhost; rolled back if nginx rejects the result. */
export async function installVhost(node: NodeRoot, siteId: string, content: string | null): Promise<void> {
  await replaceChecked(node.vhostFile(siteId), content, () => checkNginxConfig(node));
}

export async function startNginx(node: NodeRoot): Promise<void> {
  if (await nginxPid(node)) return;
  // nginx removes its unix socket when it stops; after a crash the stale file would fail the bind.
  await rm(node.backendSocket, { force: true });
  // nginx daemonises itself once it has bound its sockets, so a clean exit here means it listens.
  await runCommand(nginxBinary, ["-c", node.nginxConf]);
  await waitFor("nginx to write its pid file", () => nginxPid(node));
}

/** Graceful: new workers take the new config, old ones finish their requests. */
export async function reloadNginx(node: NodeRoot): Promise<void> {
  if (!(await nginxPid(node))) return startNginx(node);
  await runCommand(nginxBinary, ["-s", "reload", "-c", node.nginxConf]);
}

/** Makes the master reopen its log files, after one was renamed away for rotation (metrics.ts). */
export async function reopenNginxLogs(node: NodeRoot): Promise<void> {
  if (!(await nginxPid(node))) return;
  await runCommand(nginxBinary, ["-s", "reopen", "-c", node.nginxConf]);
}

export async function stopNginx(node: NodeRoot): Promise<void> {
  const pid = await nginxPid(node);
  if (pid) await stopDaemon(pid, "SIGQUIT", "nginx");
  await rm(node.nginxPid, { force: true });
}

/** The master's worker processes that still accept connections (not "shutting down"). */
async function acceptingWorkers(masterPid: number): Promise<Set<number>> {
  // The kernel's list of the master's children: one small read, where scanning all of /proc is
  // slow on a busy machine and sits in every reload's wait.
  const children = (await readTextIfExists(`/proc/${masterPid}/task/${masterPid}/children`).catch(() => null)) ?? "";
  const workers = new Set<number>();
  for (const pid of children.split(" ").filter((p) => /^[0-9]+$/.test(p))) {
    const cmdline = (await readTextIfExists(`/proc/${pid}/cmdline`).catch(() => null)) ?? "";
    if (cmdline.includes("worker process") && !cmdline.includes("shutting down")) workers.add(Number(pid));
  }
  return workers;
}

/**
 * Reloads and returns once the new configuration is the only one accepting requests: every worker
 * that was accepting before has been told to shut down (it may still finish its requests) and a
 * new one has started. `nginx -s reload` only sends the signal, and a route change (a site paused
 * for a move) must be in force when the agent says it is.
 */
export async function reloadNginxAndWait(node: NodeRoot): Promise<void> {
  const master = await nginxPid(node);
  if (!master) return startNginx(node);
  const before = await acceptingWorkers(master);
  await runCommand(nginxBinary, ["-s", "reload", "-c", node.nginxConf]);
  await waitFor(
    "nginx's workers to take the new configuration",
    async () => {
      const now = await acceptingWorkers(master);
      return now.size > 0 && [...now].every((pid) => !before.has(pid));
    },
    { intervalMs: 5 },
  );
}
