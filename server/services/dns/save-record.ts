import { db } from "../../db";
import { parseRecord, recordData } from "../../domain/dns-record/record";
import type { RecordInput, ZoneRecord } from "../../domain/dns-record/types";
import { zoneIssues } from "../../domain/dns-record/zone-rules";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { customerRecords, findZoneDomain, zonePlatformRecords } from "./load-zone";
import { commitZoneChange, maxRecordsPerZone, recordRefused } from "./zone-change";

export type SaveRecordInput = RecordInput & { accountId?: string | null } & ({ domainId: string; id?: undefined } | { id: string; domainId?: undefined });

/**
 * Creates a record (domainId) or replaces one (id): the record's own grammar, then the zone's rules
 * against every other record, platform ones included; nothing is written unless both pass. The
 * account row lock (resolveWritableAccount) serialises edits of one zone, so two requests cannot
 * both put a CNAME and an A at the same name.
 */
export async function saveRecord(actor: Actor, input: SaveRecordInput): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    let domainId = input.domainId;
    let existing: (ZoneRecord & { id: string }) | null = null;
    let managed = false;
    if (input.id !== undefined) {
      const row = await tx.dnsRecord.findFirst({
        where: { id: input.id, deletedAt: null, domain: { deletedAt: null, ...(input.accountId ? { accountId: input.accountId } : {}) } },
        select: { id: true, domainId: true, managed: true, name: true, type: true, ttl: true, content: true, priority: true, weight: true, port: true },
      });
      // Tenancy is checked by findZoneDomain below; a record in a zone out of scope reads the same.
      if (!row) throw AppError.notFound("DNS record");
      const { domainId: d, managed: m, ...rest } = row;
      domainId = d;
      managed = m;
      existing = rest;
    }
    const domain = await findZoneDomain(tx, actor.scope, { domainId: domainId!, accountId: input.accountId });
    if (managed) throw new AppError("FORBIDDEN", "This record is managed by the platform and cannot be changed here.");
    await resolveWritableAccount(tx, actor.scope, domain.accountId);
    const parsed = parseRecord(domain.name, input);
    if (!parsed.ok) throw recordRefused(parsed.errors);
    const record = parsed.value;
    const own = (await customerRecords(tx, domain.id)).filter((r) => r.id !== existing?.id);
    if (!existing && own.length >= maxRecordsPerZone) {
      throw new AppError("LIMIT_EXCEEDED", `A zone can hold at most ${maxRecordsPerZone} records.`);
    }
    const platform = await zonePlatformRecords(tx, domain);
    const issues = zoneIssues(domain.name, [{ key: 0, record }], [...own, ...platform.records.map((r) => ({ ...r, managed: true }))]);
    if (issues.length > 0) throw recordRefused(Object.fromEntries(issues.map((i) => [i.field, i.message])));
    const data = { name: record.name, type: record.type, ttl: record.ttl, content: record.content, priority: record.priority, weight: record.weight, port: record.port };
    const saved = existing
      ? await tx.dnsRecord.update({ where: { id: existing.id }, data: { ...data, generation: { increment: 1 } }, select: { id: true } })
      : await tx.dnsRecord.create({ data: { ...data, domainId: domain.id }, select: { id: true } });
    const summary = (r: ZoneRecord) => `${r.name} ${r.ttl} ${r.type} ${recordData(r)}`;
    await commitZoneChange(tx, actor, domain, {
      action: existing ? "dns.record.update" : "dns.record.create",
      before: existing ? { record: summary(existing) } : undefined,
      after: { record: summary(record) },
    });
    return saved;
  });
}
