import { createHmac } from "node:crypto";

// Secrets the control plane needs again and again (each node's agent token, each database user's
// password, an app's first admin password) are derived from one cluster secret with HMAC-SHA256
// rather than stored: Postgres, its backups and the audit log never hold them, and the control
// plane can recompute any of them at any time (a converge must send a database user's password
// so the agent can check it is still current). Rotating SHOAL_CLUSTER_SECRET rotates them all.
//
// The purpose string is part of the MAC input, so an agent token can never equal a password.

export const minClusterSecretLength = 32;

function derive(clusterSecret: string, purpose: string, id: string): string {
  if (clusterSecret.length < minClusterSecretLength) {
    throw new Error(`The cluster secret must be at least ${minClusterSecretLength} characters.`);
  }
  // base64url: printable, no spaces, safe in a bearer header, a config file and a PHP string.
  return createHmac("sha256", clusterSecret).update(`${purpose}\0${id}`, "utf8").digest("base64url");
}

/** The bearer token a node's agent accepts (43 characters). */
export function agentSecret(clusterSecret: string, nodeName: string): string {
  return derive(clusterSecret, "agent", nodeName);
}

/** A MariaDB user's password (43 characters), by the DatabaseUser's id. */
export function databasePassword(clusterSecret: string, databaseUserId: string): string {
  return derive(clusterSecret, "database-user", databaseUserId);
}

/** The first admin password of an installed app, by the Site's id (24 characters). */
export function appAdminPassword(clusterSecret: string, siteId: string): string {
  return derive(clusterSecret, "app-admin", siteId).slice(0, 24);
}
