import { absoluteName } from "./record-name";
import { recordKey } from "./record";
import type { RecordField, ZoneRecord } from "./types";

export type ZoneIssue<K> = { key: K; field: RecordField; message: string };

/**
 * Rules that need the whole zone, for the records a customer is adding or changing (`changed`)
 * against everything else the zone will hold (`others`: the customer's other records and the
 * platform's). Each issue names the changed record and the field to show it beside.
 *  - a CNAME is the only record at its name (RFC 1034 §3.6.2), platform records included;
 *  - a delegated name (NS below the apex) holds only NS, and names under it only glue (A/AAAA);
 *  - the names the platform answers A/AAAA for (a site's apex and www) take no customer address;
 *  - no record twice.
 */
export function zoneIssues<K>(
  zone: string,
  changed: Array<{ key: K; record: ZoneRecord }>,
  others: Array<ZoneRecord & { managed?: boolean }>,
): Array<ZoneIssue<K>> {
  const issues: Array<ZoneIssue<K>> = [];
  const all = [...others.map((r) => ({ key: null as K | null, record: r, managed: r.managed ?? false })), ...changed.map((c) => ({ ...c, managed: false }))];
  const seen = new Map<string, number>();
  for (const [i, { record }] of all.entries()) {
    const k = recordKey(record);
    if (!seen.has(k)) seen.set(k, i);
  }
  const delegated = all.filter((e) => e.record.type === "NS" && e.record.name !== "@").map((e) => e.record.name);
  for (const [i, { key, record }] of all.entries()) {
    if (key === null) continue;
    const push = (field: RecordField, message: string) => issues.push({ key, field, message });
    const shown = absoluteName(record.name, zone);
    if (seen.get(recordKey(record)) !== i) {
      push("value", "The same record is already in the zone.");
      continue;
    }
    const sameName = all.filter((e, j) => j !== i && e.record.name === record.name);
    if (record.type === "CNAME" && sameName.length > 0) {
      push("name", `${shown} already has other records (${[...new Set(sameName.map((e) => e.record.type))].join(", ")}); an alias (CNAME) must be the only record at its name.`);
      continue;
    }
    if (record.type !== "CNAME" && sameName.some((e) => e.record.type === "CNAME")) {
      push("name", `${shown} is an alias (CNAME); it cannot carry other records. Delete the CNAME first.`);
      continue;
    }
    if ((record.type === "A" || record.type === "AAAA") && sameName.some((e) => e.managed && e.record.type === record.type)) {
      push("name", `The platform answers ${record.type} for ${shown} because a site is hosted on this domain.`);
      continue;
    }
    if (record.type !== "NS" && delegated.includes(record.name)) {
      push("name", `${shown} is delegated to other nameservers (NS); it can hold only NS records.`);
      continue;
    }
    const under = delegated.find((d) => record.name !== d && record.name.endsWith(`.${d}`));
    if (under && record.type !== "A" && record.type !== "AAAA") {
      push("name", `${shown} is inside ${absoluteName(under, zone)}, which is delegated to other nameservers; only glue (A/AAAA) can be here.`);
    }
  }
  return issues;
}
