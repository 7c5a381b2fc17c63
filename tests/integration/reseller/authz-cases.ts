import sharp from "sharp";
import { makeReseller } from "../../helpers/fixtures";
import type { MatrixCase, Tenant, World } from "../authz/matrix";

// Authorisation-matrix entries for the reseller, brand and node routers (spread into
// tests/integration/authz/cases.ts).

const tenantReseller = (w: World, t: Tenant) => (t === "A" ? w.resellerA : t === "B" ? w.resellerB : w.subA);

/** A reseller the tenant manages: a fresh child, since suspend and update act on descendants only. */
const childOf = (w: World, t: Tenant) => makeReseller(`Matrix child ${t}`, tenantReseller(w, t));

let logins = 0;
/** Each allowed caller creates a reseller, and login emails are unique: a fresh one per read. */
const createInput = {
  name: "Matrix reseller",
  displayName: "Matrix",
  hostnames: [],
  get login() {
    return { email: `matrix-${++logins}-${process.pid}@example.test`, name: "Matrix owner" };
  },
};

const brand = {
  displayName: "Matrix brand",
  primaryColor: "#1d4ed8",
  accentColor: "#fbbf24",
  nameservers: ["ns1.matrix.test", "ns2.matrix.test"],
  supportEmail: null,
  emailSenderName: null,
};

const nodeSpec = {
  name: "matrix-node",
  address: "127.0.99.1",
  agentPort: 7400,
  capacitySites: 10,
  capacityDiskMb: 10_000,
  capacityCpus: 1,
  capacityMemoryMb: 1024,
};

export const resellerCases: Record<string, MatrixCase> = {
  "reseller.list": { plainInput: {} },
  "reseller.get": { input: async (w, t) => ({ id: tenantReseller(w, t).id }) },
  "reseller.create": { plainInput: createInput },
  "reseller.update": { input: async (w, t) => ({ id: (await childOf(w, t)).id, name: "Renamed", hostnames: [] }) },
  "reseller.suspend": { input: async (w, t) => ({ id: (await childOf(w, t)).id }) },
  "reseller.unsuspend": { input: async (w, t) => ({ id: (await childOf(w, t)).id }) },

  "brand.get": { input: async (w, t) => ({ resellerId: tenantReseller(w, t).id }) },
  "brand.nameserverStatus": { input: async (w, t) => ({ resellerId: tenantReseller(w, t).id, check: false }) },
  "brand.update": { input: async (w, t) => ({ resellerId: tenantReseller(w, t).id, ...brand }) },
  "brand.uploadLogo": {
    input: async (w, t) => ({
      resellerId: tenantReseller(w, t).id,
      logo: (await sharp({ create: { width: 16, height: 16, channels: 3, background: "#123456" } }).png().toBuffer()).toString("base64"),
    }),
  },
  "brand.removeLogo": { input: async (w, t) => ({ resellerId: tenantReseller(w, t).id }) },

  "node.list": { plainInput: {} },
  "node.get": { plainInput: { id: "missing" }, ownOutcome: "NOT_FOUND" },
  "node.register": { plainInput: nodeSpec },
  "node.update": { plainInput: { id: "missing", ...nodeSpec }, ownOutcome: "NOT_FOUND" },
  "node.remove": { plainInput: { id: "missing" }, ownOutcome: "NOT_FOUND" },
};
