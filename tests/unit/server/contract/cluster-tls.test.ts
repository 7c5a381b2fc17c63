import { describe, expect, it } from "vitest";
import { agentOrigin, extendedKeyUsage, isControlPlaneCertificate } from "../../../../server/contract/cluster-tls";

// What the agent asks of a client certificate the TLS layer verified against the cluster CA: the
// control-plane role AND client key usage, so a certificate the CA issued for anything else (a
// node's, even one that could be used as a client) is no way in.

const cert = (OU: string | string[] | undefined, eku: string[] = [extendedKeyUsage.clientAuth]) =>
  ({ subject: { O: "Shoal cluster", OU, CN: "x" }, ext_key_usage: eku }) as unknown as Parameters<typeof isControlPlaneCertificate>[0];

describe("isControlPlaneCertificate", () => {
  it("accepts the control-plane role with client key usage", () => {
    expect(isControlPlaneCertificate(cert("control-plane"))).toBe(true);
  });

  it("refuses a node's role even with client key usage, another role, no role, or several", () => {
    expect(isControlPlaneCertificate(cert("node"))).toBe(false);
    expect(isControlPlaneCertificate(cert("Control-Plane"))).toBe(false);
    expect(isControlPlaneCertificate(cert(undefined))).toBe(false);
    expect(isControlPlaneCertificate(cert(["control-plane", "node"]))).toBe(false);
  });

  it("refuses the role without client key usage, and no certificate at all", () => {
    expect(isControlPlaneCertificate(cert("control-plane", [extendedKeyUsage.serverAuth]))).toBe(false);
    expect(isControlPlaneCertificate(cert("control-plane", []))).toBe(false);
    expect(isControlPlaneCertificate(null)).toBe(false);
    expect(isControlPlaneCertificate({} as Parameters<typeof isControlPlaneCertificate>[0])).toBe(false);
  });
});

describe("agentOrigin", () => {
  it("is https, with an IPv6 address in brackets", () => {
    expect(agentOrigin("127.0.1.1", 7400)).toBe("https://127.0.1.1:7400");
    expect(agentOrigin("fd00::5", 7400)).toBe("https://[fd00::5]:7400");
  });
});
