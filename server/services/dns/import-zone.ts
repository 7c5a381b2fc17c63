import { db } from "../../db";
import { recordKey } from "../../domain/dns-record/record";
import { parseZoneFile, type SkippedRecord } from "../../domain/dns-record/zone-file";
import { zoneIssues } from "../../domain/dns-record/zone-rules";
import { AppError } from "../../errors";
import type { Actor } from "../actor";
import { resolveWritableAccount } from "../account/resolve-account";
import { customerRecords, findZoneDomain, zonePlatformRecords } from "./load-zone";
import { commitZoneChange, maxRecordsPerZone } from "./zone-change";

export type ImportZoneInput = { domainId: string; accountId?: string | null; text: string; replace: boolean };
export type ImportZoneResult = { created: number; deleted: number; skipped: SkippedRecord[] };

/**
 * A pasted BIND zone file, all or nothing: every line is read, every bad line gets an error with
 * its number (field "line.<n>"), and nothing is written unless there are none. `replace` swaps the
 * customer's records for the file's; otherwise the file's are added (ones already there skipped).
 * The platform's records in the file (SOA, the apex NS, the site's addresses) are skipped.
 */
export async function importZone(actor: Actor, input: ImportZoneInput): Promise<ImportZoneResult> {
  return db.$transaction(async (tx) => {
    const domain = await findZoneDomain(tx, actor.scope, input);
    await resolveWritableAccount(tx, actor.scope, domain.accountId);
    const parsed = parseZoneFile(input.text, domain.name);
    const lineErrors = new Map<number, string>(parsed.errors.map((e) => [e.line, e.message]));
    const platform = await zonePlatformRecords(tx, domain);
    const platformKeys = new Set(platform.records.map(recordKey));
    const own = input.replace ? [] : await customerRecords(tx, domain.id);
    const ownKeys = new Set(own.map(recordKey));
    const skipped = [...parsed.skipped];
    const incoming = parsed.records.filter(({ line, record }) => {
      if (platformKeys.has(recordKey(record))) skipped.push({ line, type: record.type, reason: "The platform writes this record." });
      else if (ownKeys.has(recordKey(record))) skipped.push({ line, type: record.type, reason: "Already in the zone." });
      else return true;
      return false;
    });
    const issues = zoneIssues(
      domain.name,
      incoming.map(({ line, record }) => ({ key: line, record })),
      [...own, ...platform.records.map((r) => ({ ...r, managed: true }))],
    );
    for (const issue of issues) if (!lineErrors.has(issue.key)) lineErrors.set(issue.key, issue.message);
    if (lineErrors.size > 0) {
      const errors = [...lineErrors.entries()].sort(([a], [b]) => a - b);
      const message = `${errors.length === 1 ? "1 line has an error" : `${errors.length} lines have errors`}; nothing was imported.`;
      throw new AppError("BAD_INPUT", message, { text: message, ...Object.fromEntries(errors.map(([line, m]) => [`line.${line}`, m])) });
    }
    if (own.length + incoming.length > maxRecordsPerZone) {
      throw AppError.field("text", `A zone can hold at most ${maxRecordsPerZone} records; this import would make ${own.length + incoming.length}.`);
    }
    let deleted = 0;
    if (input.replace) {
      const res = await tx.dnsRecord.updateMany({
        where: { domainId: domain.id, deletedAt: null, managed: false },
        data: { deletedAt: new Date(), generation: { increment: 1 } },
      });
      deleted = res.count;
    }
    if (incoming.length > 0) {
      await tx.dnsRecord.createMany({ data: incoming.map(({ record }) => ({ ...record, domainId: domain.id })) });
    }
    await commitZoneChange(tx, actor, domain, {
      action: "dns.zone.import",
      after: { created: incoming.length, deleted, skipped: skipped.length, replace: input.replace },
    });
    return { created: incoming.length, deleted, skipped: skipped.sort((a, b) => a.line - b.line) };
  });
}
