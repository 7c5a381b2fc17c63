import { createHmac } from "node:crypto";

// Secrets the control plane needs again and again (each node's agent token, each database user's
// password, an app's first admin password) are derived rather than stored: Postgres, its backups
// and the audit log never hold them, and the control plane can recompute any of them at any time
// (a converge must send a database user's password so the agent can check it is still current).
// Rotating SHOAL_CLUSTER_SECRET rotates them all.
//
// Two levels. The cluster secret gives one key per purpose (HMAC-SHA256 with the purpose as its
// label), and a purpose's key gives that purpose's secrets. A process that needs one purpose is
// given only its key, never the cluster secret: the panel holds the app-admin key alone, so a
// panel that leaks can reveal app passwords but cannot call an agent or log in to a database.
// A key carries its purpose in its text ("shoal-key:app-admin:..."), and every derivation refuses
// a key of another purpose; the purpose is also part of each MAC's input, so even a key relabelled
// by hand derives nothing another purpose accepts.

export const minClusterSecretLength = 32;

export const secretPurposes = ["agent", "database-user", "app-admin"] as const;
export type SecretPurpose = (typeof secretPurposes)[number];

const keyPrefix = "shoal-key:";

/** Whether `value` is a purpose key (as opposed to the cluster secret itself). */
export function isPurposeKey(value: string): boolean {
  return value.startsWith(keyPrefix);
}

/** The key of one purpose, derived from the cluster secret (printable, no spaces: an env value). */
export function purposeKey(clusterSecret: string, purpose: SecretPurpose): string {
  if (isPurposeKey(clusterSecret)) throw new Error(`A ${keyPrefix} key is not the cluster secret: it cannot give other keys.`);
  if (clusterSecret.length < minClusterSecretLength) {
    throw new Error(`The cluster secret must be at least ${minClusterSecretLength} characters.`);
  }
  const key = createHmac("sha256", clusterSecret).update(`shoal purpose key\0${purpose}`, "utf8").digest("base64url");
  return `${keyPrefix}${purpose}:${key}`;
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

function derive(secret: string, purpose: SecretPurpose, id: string): string {
  // base64url: printable, no spaces, safe in a bearer header, a config file and a PHP string.
  return createHmac("sha256", keyFor(secret, purpose)).update(`${purpose}\0${id}`, "utf8").digest("base64url");
}

/** The bearer token a node's agent accepts (43 characters); `secret`: the cluster secret or the agent key. */
export function agentSecret(secret: string, nodeName: string): string {
  return derive(secret, "agent", nodeName);
}

/** A MariaDB user's password (43 characters), by the DatabaseUser's id; `secret`: the cluster secret or the database-user key. */
export function databasePassword(secret: string, databaseUserId: string): string {
  return derive(secret, "database-user", databaseUserId);
}

/** The first admin password of an installed app, by the Site's id (24 characters); `secret`: the cluster secret or the app-admin key. */
export function appAdminPassword(secret: string, siteId: string): string {
  return derive(secret, "app-admin", siteId).slice(0, 24);
}
