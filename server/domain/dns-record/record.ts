import { parseAData } from "./a";
import { parseAaaaData } from "./aaaa";
import { parseCaaData, splitCaaContent } from "./caa";
import { parseCnameData } from "./cname";
import { parseMxData } from "./mx";
import { parseNsData } from "./ns";
import { parseOwnerName, type NameMode } from "./record-name";
import { parseSrvData } from "./srv";
import { parseTtl } from "./ttl";
import { parseTxtData, txtPresentation } from "./txt";
import type { RecordErrors, RecordInput, RecordType, TypeContext, TypeResult, ZoneRecord } from "./types";

const grammars: Record<RecordType, (input: RecordInput, ctx: TypeContext) => TypeResult> = {
  A: parseAData,
  AAAA: parseAaaaData,
  CNAME: parseCnameData,
  MX: parseMxData,
  TXT: parseTxtData,
  SRV: parseSrvData,
  CAA: parseCaaData,
  NS: parseNsData,
};

export type RecordResult = { ok: true; value: ZoneRecord } | { ok: false; errors: RecordErrors };

/**
 * One record on its own: the owner name (inside `zone`, lower-case ASCII), the TTL and the type's
 * own grammar. Every broken rule is reported against its field. Zone-wide rules (a CNAME alone at
 * its name, delegations) are zone-rules.ts.
 */
export function parseRecord(zone: string, input: RecordInput, mode: NameMode = { kind: "form" }): RecordResult {
  const errors: RecordErrors = {};
  const grammar = grammars[input.type] as ((i: RecordInput, c: TypeContext) => TypeResult) | undefined;
  if (!grammar) return { ok: false, errors: { type: "Choose a record type: A, AAAA, CNAME, MX, TXT, SRV, CAA or NS." } };
  const name = parseOwnerName(input.name, zone, mode);
  if (!name.ok) errors.name = name.error;
  const ttl = parseTtl(input.ttl);
  if (!ttl.ok) errors.ttl = ttl.error;
  const data = grammar(input, { zone, name: name.ok ? name.value : "x", mode });
  if (!data.ok) Object.assign(errors, Object.fromEntries(Object.entries(data.errors).filter(([k]) => k !== "name" || name.ok)));
  if (!name.ok || !ttl.ok || !data.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: name.value,
      type: input.type,
      ttl: ttl.value,
      content: data.value.content,
      priority: data.value.priority ?? null,
      weight: data.value.weight ?? null,
      port: data.value.port ?? null,
    },
  };
}

const dotted = (name: string) => (name === "." ? "." : `${name}.`);

/**
 * The record's data in master-file form, as the zone export writes it and as PowerDNS takes it as
 * `content`: names absolute with their root dot, TXT quoted in 255-byte strings.
 */
export function recordData(r: Pick<ZoneRecord, "type" | "content" | "priority" | "weight" | "port">): string {
  switch (r.type) {
    case "A":
    case "AAAA":
    case "CAA":
      return r.content;
    case "CNAME":
    case "NS":
      return dotted(r.content);
    case "MX":
      return `${r.priority ?? 0} ${dotted(r.content)}`;
    case "SRV":
      return `${r.priority ?? 0} ${r.weight ?? 0} ${r.port ?? 0} ${dotted(r.content)}`;
    case "TXT":
      return txtPresentation(r.content);
  }
}

/** A stored record back as form fields (the editor's "Edit"). */
export function recordInput(r: ZoneRecord): RecordInput {
  const base = { name: r.name, type: r.type, ttl: r.ttl, priority: r.priority, weight: r.weight, port: r.port };
  if (r.type === "CAA") {
    const caa = splitCaaContent(r.content);
    return { ...base, value: caa.value, tag: caa.tag, flags: caa.flags };
  }
  return { ...base, value: r.content };
}

/** Same record (RRset member) whatever its TTL: what "duplicate" means in a zone. */
export function recordKey(r: Pick<ZoneRecord, "name" | "type" | "content" | "priority" | "weight" | "port">): string {
  return JSON.stringify([r.name, r.type, r.content, r.priority, r.weight, r.port]);
}
