import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { objectIdPattern } from "../../../server/contract/node-spec";
import { readTextIfExists, replaceChecked, writeFileAtomic } from "../config-file";
import type { NodeRoot } from "../node-root";
import { checkNginxConfig } from "./nginx";

// The front door's certificates, its tls.conf and the ACME challenge answers, as files under the
// node's nginx directory (worker/edge/render-tls.ts renders them from the spec). A key is written
// 0600 in a 0700 directory, both root's: nginx's master reads it before it drops to www-data.

export type ObservedTls = {
  conf: string | null;
  certificates: Record<string, { chain: string | null; key: string | null }>;
  challenges: Record<string, string>;
};

const tokenPattern = /^[A-Za-z0-9_-]{16,128}$/;

export async function observeTls(node: NodeRoot): Promise<ObservedTls> {
  const certificates: ObservedTls["certificates"] = {};
  for (const name of (await readdir(node.certDir).catch(() => [])).sort()) {
    const match = /^(.+)\.(crt|key)$/.exec(name);
    if (!match?.[1] || !objectIdPattern.test(match[1])) continue;
    const entry = (certificates[match[1]] ??= { chain: null, key: null });
    const content = await readTextIfExists(path.join(node.certDir, name));
    if (match[2] === "crt") entry.chain = content;
    else entry.key = content;
  }
  const challenges: Record<string, string> = {};
  for (const name of (await readdir(node.acmeChallengeDir).catch(() => [])).sort()) {
    if (!tokenPattern.test(name)) continue;
    const content = await readTextIfExists(path.join(node.acmeChallengeDir, name));
    if (content !== null) challenges[name] = content;
  }
  return { conf: await readTextIfExists(node.tlsConf), certificates, challenges };
}

/** Writes (or with null removes) one certificate's key and chain; the key first, owner-only. */
export async function installCertificate(node: NodeRoot, id: string, files: { chain: string; key: string } | null): Promise<void> {
  if (!objectIdPattern.test(id)) throw new Error(`Not a certificate id: ${JSON.stringify(id)}`);
  await mkdir(node.certDir, { recursive: true, mode: 0o700 });
  if (files === null) {
    await rm(node.certFile(id), { force: true });
    await rm(node.certKeyFile(id), { force: true });
    return;
  }
  await writeFileAtomic(node.certKeyFile(id), files.key, 0o600);
  await writeFileAtomic(node.certFile(id), files.chain, 0o644);
}

/** tls.conf, checked with `nginx -t` against the whole configuration before it stays. */
export async function writeTlsConf(node: NodeRoot, content: string): Promise<void> {
  await mkdir(path.dirname(node.tlsConf), { recursive: true });
  await replaceChecked(node.tlsConf, content, () => checkNginxConfig(node));
}

/**
 * nginx.conf includes tls.conf, whose maps the plain front door reads: before nginx.conf is first
 * checked there must be one (with no certificates it only holds the maps' defaults).
 */
export async function ensureTlsConfExists(node: NodeRoot, empty: string): Promise<void> {
  if ((await readTextIfExists(node.tlsConf)) !== null) return;
  await mkdir(path.dirname(node.tlsConf), { recursive: true });
  await writeFileAtomic(node.tlsConf, empty);
}

/**
 * The challenge answers are exactly `answers`: new ones written, old ones removed. nginx serves
 * them as static files, so no reload is needed and an answer is live once it is on disk.
 */
export async function writeChallenges(node: NodeRoot, answers: Record<string, string>): Promise<void> {
  await mkdir(node.acmeChallengeDir, { recursive: true, mode: 0o750 });
  const present = await readdir(node.acmeChallengeDir).catch(() => [] as string[]);
  for (const [token, content] of Object.entries(answers)) {
    if (!tokenPattern.test(token)) throw new Error(`Not an ACME token: ${JSON.stringify(token)}`);
    if ((await readTextIfExists(path.join(node.acmeChallengeDir, token))) !== content) {
      await writeFileAtomic(path.join(node.acmeChallengeDir, token), content, 0o644);
    }
  }
  for (const name of present) {
    if (tokenPattern.test(name) && !(name in answers)) await rm(path.join(node.acmeChallengeDir, name), { force: true });
  }
}
