import { createHmac } from "node:crypto";

// Secrets the control plane needs again and again (each node's agent token, each database user's
// password, an app's first admin password) are derived rather than stored: Postgres, its backups
// and the audit log never hold them, and the control plane can recompute any of them at any time
// (a converge must send a database user's password so the agent can check it is still current).
// Rotating SHOAL_CLUSTER_SECRET rotates them all.
//
// A process that needs one kind of secret is given a key for that purpose, never the cluster
// secret: the panel holds the app-admin key alone (HMAC-SHA256 of the cluster secret with the
// purpose as its label), so a panel that leaks can reveal app passwords but cannot call an agent
// or log in to a database. A key carries its purpose in its text ("shoal-key:app-admin:..."),
// a derivation refuses a key of another purpose, and the purpose is also inside every MAC, so
// even a key relabelled by hand derives nothing another purpose accepts.
//
// Agent tokens and database passwords are derived straight from the cluster secret, as they
// always were: only the control worker computes them, and a new derivation would change every
// running agent's token and the password in every installed app's config at once.

export const minClusterSecretLength = 32;

export const secretPurposes = ["app-admin", "certificate-key"] as const;
export type SecretPurpose = (typeof secretPurposes)[number];

const keyPrefix = "shoal-key:";

/** Whether `value` is a purpose key (as opposed to the cluster secret itself). */
export function isPurposeKey(value: string): boolean {
  return value.startsWith(keyPrefix);
}

function checkClusterSecret(secret: string, what: string): void {
  if (isPurposeKey(secret)) {
    const given = secret.slice(keyPrefix.length).split(":")[0];
    throw new Error(`A key for ${given} cannot derive ${what}: only the cluster secret does.`);
  }
  if (secret.length < minClusterSecretLength) {
    throw new Error(`The cluster secret must be at least ${minClusterSecretLength} characters.`);
  }
}

// base64url: printable, no spaces, safe in a bearer header, a config file and a PHP string.
const mac = (key: string, label: string, id: string) => createHmac("sha256", key).update(`${label}\0${id}`, "utf8").digest("base64url");

/** The key of one purpose, derived from the cluster secret (printable, no spaces: an env value). */
export function purposeKey(clusterSecret: string, purpose: SecretPurpose): string {
  checkClusterSecret(clusterSecret, "other keys");
  return `${keyPrefix}${purpose}:${mac(clusterSecret, "shoal purpose key", purpose)}`;
}

/** The MAC key for `purpose` from the cluster secret (the control plane) or that purpose's own key. */
function keyFor(secret: string, purpose: SecretPurpose): string {
  const key = isPurposeKey(secret) ? secret : purposeKey(secret, purpose);
  const prefix = `${keyPrefix}${purpose}:`;
  if (!key.startsWith(prefix)) {
    const given = key.slice(keyPrefix.length).split(":")[0];
    throw new Error(`A key for ${given} cannot derive ${purpose} secrets.`);
  }
  return key.slice(prefix.length);
}

/** The bearer token a node's agent accepts (43 characters); from the cluster secret only. */
export function agentSecret(clusterSecret: string, nodeName: string): string {
  checkClusterSecret(clusterSecret, "agent tokens");
  return mac(clusterSecret, "agent", nodeName);
}

/** A MariaDB user's password (43 characters), by the DatabaseUser's id; from the cluster secret only. */
export function databasePassword(clusterSecret: string, databaseUserId: string): string {
  checkClusterSecret(clusterSecret, "database passwords");
  return mac(clusterSecret, "database-user", databaseUserId);
}

/** The first admin password of an installed app, by the Site's id (24 characters); `secret`: the cluster secret or the app-admin key. */
export function appAdminPassword(secret: string, siteId: string): string {
  return mac(keyFor(secret, "app-admin"), "app-admin", siteId).slice(0, 24);
}

/**
 * The AES-256 key that encrypts certificates' private keys at rest (32 bytes); `secret`: the
 * cluster secret (control workers) or the certificate-key purpose key (the panel, for uploads).
 */
export function certificateEncryptionKey(secret: string): Buffer {
  return createHmac("sha256", keyFor(secret, "certificate-key")).update("certificate-key\0aes-256-gcm", "utf8").digest();
}
