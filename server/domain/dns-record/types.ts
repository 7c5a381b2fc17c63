import type { NameMode } from "./record-name";

// Shapes shared by the record grammars (one file per type beside this one).

export const recordTypes = ["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"] as const;
export type RecordType = (typeof recordTypes)[number];

/** Messages per field ("value": "Enter an IPv4 address…"), shown next to the field. */
export type RecordErrors = Partial<Record<RecordField, string>>;
export type RecordField = "name" | "type" | "ttl" | "value" | "priority" | "weight" | "port" | "tag" | "flags";

/**
 * What a person (form, tRPC, one line of an imported zone) gives for a record. `value` is the
 * type's main datum: the address (A, AAAA), the target name (CNAME, MX, NS, SRV), the text (TXT),
 * the property value (CAA, with `tag` and `flags`).
 */
export type RecordInput = {
  name: string;
  type: RecordType;
  ttl?: number | null;
  value: string;
  priority?: number | null;
  weight?: number | null;
  port?: number | null;
  tag?: string | null;
  flags?: number | null;
};

/** A record as stored (DnsRecord columns): owner relative to the zone, canonical content. */
export type ZoneRecord = {
  name: string;
  type: RecordType;
  ttl: number;
  content: string;
  priority: number | null;
  weight: number | null;
  port: number | null;
};

export type TypeData = { content: string; priority?: number; weight?: number; port?: number };
export type TypeResult = { ok: true; value: TypeData } | { ok: false; errors: RecordErrors };
export type TypeContext = { zone: string; /** relative owner, already parsed */ name: string; mode: NameMode };

export const typeOk = (value: TypeData): TypeResult => ({ ok: true, value });
export const typeFail = (errors: RecordErrors): TypeResult => ({ ok: false, errors });
