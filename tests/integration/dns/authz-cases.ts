import { db } from "../../../server/db";
import type { MatrixCase } from "../authz/matrix";
import { freshDomain } from "../domain/authz-fixtures";
import type { Tenant, World } from "../authz/matrix";

// Authorisation-matrix entries for the dns router (spread into tests/integration/authz/cases.ts).

async function freshRecord(w: World, t: Tenant) {
  const domain = await freshDomain(w, t);
  return db.dnsRecord.create({ data: { domainId: domain.id, name: "txt", type: "TXT", content: "matrix" }, select: { id: true } });
}

export const dnsCases: Record<string, MatrixCase> = {
  "dns.getZone": { input: async (w, t) => ({ domainId: (await freshDomain(w, t)).id }) },
  "dns.exportZone": { input: async (w, t) => ({ domainId: (await freshDomain(w, t)).id }) },
  "dns.createRecord": { input: async (w, t) => ({ domainId: (await freshDomain(w, t)).id, name: "www", type: "A", ttl: 300, value: "192.0.2.1" }) },
  "dns.updateRecord": { input: async (w, t) => ({ id: (await freshRecord(w, t)).id, name: "txt", type: "TXT", ttl: 300, value: "changed" }) },
  "dns.deleteRecord": { input: async (w, t) => ({ id: (await freshRecord(w, t)).id }) },
  "dns.importZone": { input: async (w, t) => ({ domainId: (await freshDomain(w, t)).id, text: "www 300 IN A 192.0.2.1\n" }) },
};
