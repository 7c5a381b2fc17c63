import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { soaTtl } from "../../domain/dns-record/platform-records";
import { exportZoneFile } from "../../domain/dns-record/zone-file";
import { customerRecords, findZoneDomain, zonePlatformRecords } from "./load-zone";

/** The zone as a BIND master file; its SOA serial is the domain's generation (what nodes converge to). */
export async function exportZone(scope: Scope, input: { domainId: string; accountId?: string | null }): Promise<{ filename: string; text: string }> {
  const domain = await findZoneDomain(db, scope, input);
  const platform = await zonePlatformRecords(db, domain);
  const records = await customerRecords(db, domain.id);
  const text = exportZoneFile({
    zone: domain.name,
    platform: platform.records,
    soa: { primary: platform.nameservers[0] ?? domain.name, hostmaster: `hostmaster.${domain.name}`, serial: domain.generation, ttl: soaTtl },
    records,
  });
  return { filename: `${domain.name}.zone`, text };
}
