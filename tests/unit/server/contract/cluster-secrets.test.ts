import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { agentSecret, appAdminPassword, databasePassword, purposeKey, secretPurposes } from "../../../../server/contract/cluster-secrets";
import { bearerAuth } from "../../../../worker/agent/auth";

// One key per purpose from the cluster secret; a purpose's key derives that purpose's secrets,
// exactly as the cluster secret does, and nothing else.

const cluster = "unit-test-cluster-secret-0123456789abcdef";
const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as IncomingMessage;

describe("purpose keys", () => {
  it("derive the same secrets as the cluster secret, for their own purpose", () => {
    expect(appAdminPassword(purposeKey(cluster, "app-admin"), "site1")).toBe(appAdminPassword(cluster, "site1"));
    expect(agentSecret(purposeKey(cluster, "agent"), "node-1")).toBe(agentSecret(cluster, "node-1"));
    expect(databasePassword(purposeKey(cluster, "database-user"), "u1")).toBe(databasePassword(cluster, "u1"));
    expect(appAdminPassword(cluster, "site1")).toHaveLength(24);
  });

  it("differ by purpose and by cluster secret, and never contain the cluster secret", () => {
    const keys = secretPurposes.map((p) => purposeKey(cluster, p));
    expect(new Set(keys).size).toBe(secretPurposes.length);
    for (const key of keys) expect(key).not.toContain(cluster);
    expect(purposeKey(`${cluster}x`, "app-admin")).not.toBe(purposeKey(cluster, "app-admin"));
    expect(purposeKey(cluster, "app-admin")).toMatch(/^shoal-key:app-admin:[A-Za-z0-9_-]{43}$/);
  });

  it("are refused for another purpose", () => {
    const panelKey = purposeKey(cluster, "app-admin");
    expect(() => agentSecret(panelKey, "node-1")).toThrow("A key for app-admin cannot derive agent secrets.");
    expect(() => databasePassword(panelKey, "u1")).toThrow("A key for app-admin cannot derive database-user secrets.");
    expect(() => appAdminPassword(purposeKey(cluster, "agent"), "site1")).toThrow(/key for agent cannot derive app-admin/);
    // A key gives no other keys: only the cluster secret does.
    expect(() => purposeKey(panelKey, "agent")).toThrow(/not the cluster secret/);
  });

  it("relabelled by hand, derive a token the agent refuses", () => {
    const agentAccepts = bearerAuth(agentSecret(cluster, "node-1"));
    expect(agentAccepts(withToken(agentSecret(cluster, "node-1")))).toBe(true);
    const relabelled = purposeKey(cluster, "app-admin").replace("shoal-key:app-admin:", "shoal-key:agent:");
    expect(agentAccepts(withToken(agentSecret(relabelled, "node-1")))).toBe(false);
    // Nor is an app password, for the same node name or any other id, an agent token.
    expect(agentAccepts(withToken(appAdminPassword(cluster, "node-1")))).toBe(false);
  });
});
