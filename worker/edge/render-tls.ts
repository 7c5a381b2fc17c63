import type { NodeRoot } from "../agent/node-root";
import type { TlsSpec } from "../../server/contract/node-spec";
import { frontDoorBody } from "./render-edge";

// The front door's TLS side, rendered from the spec's tls section into tls.conf (included by
// nginx.conf at http level). One server per certificate on httpsPort, named by the certificate's
// domains, so nginx picks the certificate by SNI at handshake time from names it hashed at load
// (no per-handshake file read, as a variable ssl_certificate would cost). A name without a
// certificate gets its handshake refused: never some other customer's certificate.
//
// The maps for "Redirect HTTP to HTTPS" and HSTS live here too, since both only mean something
// where a certificate is served; the plain front door (render-edge.ts) reads them.

/** Mozilla's "intermediate" configuration (TLS 1.2 and 1.3, forward-secret AEAD suites only). */
export const intermediateCiphers = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
  "DHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Two years, the preload list's minimum; subdomains are the customer's to opt in, not ours. */
export const hstsValue = "max-age=63072000";

/** Every value was grammar-checked (node-spec.ts): domains, ids and PEM only. */
export function renderTlsConf(node: NodeRoot, tls: TlsSpec): string {
  const certificates = [...tls.certificates].sort((a, b) => (a.id < b.id ? -1 : 1));
  const mapLines = (pick: (c: TlsSpec["certificates"][number]) => boolean, value: string) =>
    certificates
      .filter(pick)
      .flatMap((c) => [...c.domains].sort())
      .map((d) => `    ${d} ${value};\n`)
      .join("");
  const listen = `${node.address}:${node.httpsPort} ssl http2`;
  const servers = certificates
    .map(
      (c) => `
server {
    listen ${listen};
    server_name ${[...c.domains].sort().join(" ")};
    ssl_certificate ${node.certFile(c.id)};
    ssl_certificate_key ${node.certKeyFile(c.id)};
${frontDoorBody(node, "https").replace(/^ {4}/gm, "")}}
`,
    )
    .join("");
  return `# Shoal front door, TLS (render-tls.ts); written by the agent from the node spec, changes are overwritten.
ssl_protocols TLSv1.2 TLSv1.3;
ssl_ciphers ${intermediateCiphers};
ssl_prefer_server_ciphers off;
ssl_session_timeout 1d;
ssl_session_cache shared:shoal_tls:10m;
ssl_session_tickets off;

map $host $shoal_https_redirect {
    hostnames;
    default 0;
${mapLines((c) => c.redirectHttps, "1")}}

map $host $shoal_hsts {
    hostnames;
    default "";
${mapLines((c) => c.hsts, `"${hstsValue}"`)}}

${servers ? `
# A name with no certificate here: the handshake is refused. No certificate at all: no listener.
server {
    listen ${listen} default_server;
    server_name _;
    ssl_reject_handshake on;
}
${servers}` : ""}`;
}

/** Each certificate's files as the node keeps them, by certificate id. */
export function certificateFiles(tls: TlsSpec): Record<string, { chain: string; key: string }> {
  return Object.fromEntries(tls.certificates.map((c) => [c.id, { chain: c.chain, key: c.key }]));
}

/** The challenge answers as files, by token. */
export function challengeFiles(tls: TlsSpec): Record<string, string> {
  return Object.fromEntries(tls.challenges.map((c) => [c.token, c.keyAuthorization]));
}
