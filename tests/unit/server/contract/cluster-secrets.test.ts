import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { agentSecret, appAdminPassword, databasePassword, purposeKey } from "../../../../server/contract/cluster-secrets";
import { bearerAuth } from "../../../../worker/agent/auth";

// The panel's app-admin key derives exactly the app passwords the control worker derives from the
// cluster secret, and nothing else: no agent token, no database password, no other key.

const cluster = "unit-test-cluster-secret-0123456789abcdef";
const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;
const panelKey = purposeKey(cluster, "app-admin");

describe("the app-admin key", () => {
  it("derives the same app passwords as the cluster secret", () => {
    expect(appAdminPassword(panelKey, "site1")).toBe(appAdminPassword(cluster, "site1"));
    expect(appAdminPassword(panelKey, "site1")).toHaveLength(24);
    expect(appAdminPassword(panelKey, "site2")).not.toBe(appAdminPassword(panelKey, "site1"));
  });

  it("depends on the cluster secret and does not contain it", () => {
    expect(panelKey).toMatch(/^shoal-key:app-admin:[A-Za-z0-9_-]{43}$/);
    expect(panelKey).not.toContain(cluster);
    expect(purposeKey(`${cluster}x`, "app-admin")).not.toBe(panelKey);
  });

  it("is refused for every other purpose, and gives no other key", () => {
    expect(() => agentSecret(panelKey, "node-1")).toThrow("A key for app-admin cannot derive agent tokens: only the cluster secret does.");
    expect(() => databasePassword(panelKey, "u1")).toThrow("A key for app-admin cannot derive database passwords: only the cluster secret does.");
    expect(() => purposeKey(panelKey, "app-admin")).toThrow(/only the cluster secret/);
    // Relabelled by hand as some other purpose's key, it is not the app-admin key either.
    expect(() => appAdminPassword(panelKey.replace(":app-admin:", ":agent:"), "site1")).toThrow("A key for agent cannot derive app-admin secrets.");
  });

  it("used as the MAC key by hand, makes no token the agent accepts", () => {
    const agentAccepts = bearerAuth(agentSecret(cluster, "node-1"));
    expect(agentAccepts(withToken(agentSecret(cluster, "node-1")))).toBe(true);
    const raw = panelKey.slice("shoal-key:app-admin:".length);
    for (const forged of [createHmac("sha256", raw).update("agent\0node-1").digest("base64url"), appAdminPassword(cluster, "node-1"), panelKey]) {
      expect(agentAccepts(withToken(forged))).toBe(false);
    }
  });
});

describe("agent tokens and database passwords", () => {
  it("keep their derivation from the cluster secret (running agents and installed apps hold them)", () => {
    expect(agentSecret(cluster, "node-1")).toBe(createHmac("sha256", cluster).update("agent\0node-1").digest("base64url"));
    expect(databasePassword(cluster, "u1")).toBe(createHmac("sha256", cluster).update("database-user\0u1").digest("base64url"));
  });
});
