import { db } from "../../db";
import type { Scope } from "../../auth/scope";
import { recordData, recordInput } from "../../domain/dns-record/record";
import type { RecordInput, ZoneRecord } from "../../domain/dns-record/types";
import { customerRecords, findZoneDomain, zonePlatformRecords } from "./load-zone";

export type ZoneRow = ZoneRecord & {
  /** null for the platform's records, which are computed, not stored. */
  id: string | null;
  managed: boolean;
  /** The record's data as a zone file writes it ("10 mail.example.com."). */
  data: string;
  /** The fields of the edit form. */
  input: RecordInput;
};

export type ZoneView = { domain: { id: string; name: string; displayName: string }; nameservers: string[]; records: ZoneRow[] };

export async function listZone(scope: Scope, input: { domainId: string; accountId?: string | null }): Promise<ZoneView> {
  const domain = await findZoneDomain(db, scope, input);
  const platform = await zonePlatformRecords(db, domain);
  const own = await customerRecords(db, domain.id);
  const row = (r: ZoneRecord, id: string | null, managed: boolean): ZoneRow => ({ ...r, id, managed, data: recordData(r), input: recordInput(r) });
  return {
    domain: { id: domain.id, name: domain.name, displayName: domain.displayName },
    nameservers: platform.nameservers,
    records: [...platform.records.map((r) => row(r, null, true)), ...own.map(({ id, ...r }) => row(r, id, false))],
  };
}
