import { parseOwnerName, type NameMode } from "./record-name";
import { parseRecord, recordData } from "./record";
import { recordTypes, type RecordErrors, type RecordInput, type RecordType, type ZoneRecord } from "./types";

// Reading and writing BIND master files (RFC 1035 §5) for the zone editor's import and export.
// The reader understands $ORIGIN, $TTL, owner names left blank (the previous owner), "@",
// relative and absolute names, TTLs with units (1h30m), the class (IN) before or after the TTL,
// parentheses across lines, ";" comments and quoted strings with \" \\ \DDD escapes. Every bad
// line gets its own error; the caller saves nothing unless there are none.

export const maxZoneFileBytes = 256 * 1024;
export const maxZoneFileRecords = 1000;

export type ZoneLineError = { line: number; message: string };
export type ImportedRecord = { line: number; record: ZoneRecord };
/** SOA and the apex NS are the platform's: read, and skipped. */
export type SkippedRecord = { line: number; type: string; reason: string };
export type ParsedZoneFile = { records: ImportedRecord[]; skipped: SkippedRecord[]; errors: ZoneLineError[] };

type Token = { text: string; bytes: Buffer | null; line: number };
type Entry = { line: number; blankOwner: boolean; tokens: Token[] };

/** Splits the text into entries (one per record, parentheses joining lines), or an error per bad line. */
function tokenize(text: string): { entries: Entry[]; errors: ZoneLineError[] } {
  const entries: Entry[] = [];
  const errors: ZoneLineError[] = [];
  const lines = text.split(/\r?\n/);
  let current: Entry | null = null;
  let depth = 0;
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    if (depth === 0) {
      if (current && current.tokens.length > 0) entries.push(current);
      current = { line: lineNo, blankOwner: /^[ \t]/.test(raw), tokens: [] };
    }
    let i = 0;
    let lineFailed = false;
    while (i < raw.length) {
      const c = raw[i]!;
      if (c === ";") break;
      if (c === " " || c === "\t") {
        i++;
        continue;
      }
      if (c === "(") {
        depth++;
        i++;
        continue;
      }
      if (c === ")") {
        if (depth === 0) {
          errors.push({ line: lineNo, message: 'A ")" without its "(".' });
          lineFailed = true;
          break;
        }
        depth--;
        i++;
        continue;
      }
      if (c === '"') {
        const bytes: number[] = [];
        let j = i + 1;
        let closed = false;
        while (j < raw.length) {
          const d = raw[j]!;
          if (d === '"') {
            closed = true;
            break;
          }
          if (d === "\\") {
            const ddd = /^\d{3}/.exec(raw.slice(j + 1));
            if (ddd) {
              const n = Number(ddd[0]);
              if (n > 255) break;
              bytes.push(n);
              j += 4;
              continue;
            }
            if (j + 1 >= raw.length) break;
            bytes.push(...Buffer.from(raw[j + 1]!, "utf8"));
            j += 2;
            continue;
          }
          const cp = raw.codePointAt(j)!;
          const ch = String.fromCodePoint(cp);
          bytes.push(...Buffer.from(ch, "utf8"));
          j += ch.length;
        }
        if (!closed) {
          errors.push({ line: lineNo, message: "A quoted text is not closed (or has a bad \\ escape): quoted text must end on the same line." });
          lineFailed = true;
          break;
        }
        current!.tokens.push({ text: raw.slice(i + 1, j), bytes: Buffer.from(bytes), line: lineNo });
        i = j + 1;
        continue;
      }
      let j = i;
      while (j < raw.length && !/[\s;()"]/.test(raw[j]!)) j++;
      current!.tokens.push({ text: raw.slice(i, j), bytes: null, line: lineNo });
      i = j;
    }
    if (lineFailed) {
      current = { line: lineNo + 1, blankOwner: false, tokens: [] };
      depth = 0;
    }
  }
  if (depth > 0 && current) errors.push({ line: current.line, message: 'A "(" is never closed.' });
  else if (current && current.tokens.length > 0) entries.push(current);
  return { entries, errors };
}

/** "3600", "1h", "1h30m", "2d", "1w": seconds, or null. */
export function parseTtlText(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(?:\d+[smhdw])+$/i.exec(text);
  if (!m) return null;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const part of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(part[1]) * unit[part[2]!]!;
  return total;
}

const classes = ["IN", "CH", "HS", "CS"];
const fieldWords: Record<string, string> = { name: "Name", ttl: "TTL", value: "Data", priority: "Priority", weight: "Weight", port: "Port", tag: "Tag", flags: "Flags", type: "Type" };

export function describeErrors(errors: RecordErrors): string {
  return Object.entries(errors)
    .map(([field, message]) => `${fieldWords[field] ?? field}: ${message}`)
    .join(" ");
}

function isNumber(text: string): boolean {
  return /^\d+$/.test(text);
}

/** Reads a pasted zone file for `zone` (lower-case ASCII, no root dot). */
export function parseZoneFile(text: string, zone: string): ParsedZoneFile {
  const records: ImportedRecord[] = [];
  const skipped: SkippedRecord[] = [];
  if (Buffer.byteLength(text, "utf8") > maxZoneFileBytes) {
    return { records, skipped, errors: [{ line: 1, message: `A zone file can be at most ${maxZoneFileBytes / 1024} KB.` }] };
  }
  const { entries, errors } = tokenize(text);
  let origin = zone;
  let defaultTtl: number | null = null;
  let lastOwner: string | null = null;
  for (const entry of entries) {
    const fail = (message: string) => errors.push({ line: entry.line, message });
    const tokens = [...entry.tokens];
    const first = tokens[0]!;
    if (!entry.blankOwner && first.bytes === null && first.text.startsWith("$")) {
      const directive = first.text.toUpperCase();
      if (directive === "$ORIGIN") {
        const arg = tokens[1];
        if (!arg || tokens.length > 2) {
          fail("$ORIGIN takes one name, such as example.com.");
          continue;
        }
        const abs = arg.text.endsWith(".") ? arg.text.slice(0, -1).toLowerCase() : `${arg.text.toLowerCase()}.${origin}`;
        const checked = parseOwnerName(`${abs}.`, zone, { kind: "bind", origin: zone });
        if (!checked.ok) fail(`$ORIGIN ${arg.text}: ${checked.error}`);
        else origin = checked.value === "@" ? zone : `${checked.value}.${zone}`;
      } else if (directive === "$TTL") {
        const ttl = tokens[1] ? parseTtlText(tokens[1].text) : null;
        if (ttl === null || tokens.length > 2 || ttl > 2 ** 31 - 1) fail("$TTL takes one time, such as 3600 or 1h.");
        else defaultTtl = ttl;
      } else {
        fail(`${first.text} is not supported here: paste the records themselves (only $ORIGIN and $TTL are read).`);
      }
      continue;
    }
    let owner: string | null;
    if (entry.blankOwner) {
      owner = lastOwner;
      if (owner === null) {
        fail("This line starts with a space, so it continues the previous name, but there is none.");
        continue;
      }
    } else {
      const ownerToken = tokens.shift()!;
      const parsed = parseOwnerName(ownerToken.text, zone, { kind: "bind", origin });
      if (!parsed.ok) {
        fail(`Name ${JSON.stringify(ownerToken.text)}: ${parsed.error}`);
        lastOwner = null;
        continue;
      }
      owner = parsed.value;
    }
    lastOwner = owner;
    let ttl: number | null = null;
    while (tokens.length > 0 && tokens[0]!.bytes === null) {
      const t = tokens[0]!.text;
      if (classes.includes(t.toUpperCase())) {
        if (t.toUpperCase() !== "IN") {
          fail(`Only class IN is served; this record is class ${t.toUpperCase()}.`);
          ttl = -1;
          break;
        }
        tokens.shift();
      } else if (ttl === null && parseTtlText(t) !== null) {
        ttl = parseTtlText(t);
        tokens.shift();
      } else break;
    }
    if (ttl === -1) continue;
    const typeToken = tokens.shift();
    if (!typeToken || typeToken.bytes !== null) {
      fail("Missing the record type (A, AAAA, CNAME, MX, TXT, SRV, CAA or NS).");
      continue;
    }
    const type = typeToken.text.toUpperCase();
    if (type === "SOA") {
      skipped.push({ line: entry.line, type, reason: "The SOA record is written by the platform." });
      continue;
    }
    if (type === "NS" && owner === "@") {
      skipped.push({ line: entry.line, type, reason: "The domain's own nameservers are set by the platform." });
      continue;
    }
    if (!(recordTypes as readonly string[]).includes(type)) {
      fail(`${type} records are not supported here; the zone editor takes A, AAAA, CNAME, MX, TXT, SRV, CAA and NS.`);
      continue;
    }
    const input = rdataInput(type as RecordType, tokens);
    if (typeof input === "string") {
      fail(input);
      continue;
    }
    const ttlValue = ttl ?? defaultTtl ?? undefined;
    const mode: NameMode = { kind: "bind", origin };
    const result = parseRecord(
      zone,
      { ...input, name: owner === "@" ? `${zone}.` : `${owner}.${zone}.`, type: type as RecordType, ttl: ttlValue },
      mode,
    );
    if (!result.ok) fail(describeErrors(result.errors));
    else records.push({ line: entry.line, record: result.value });
  }
  if (records.length > maxZoneFileRecords) {
    errors.push({ line: 1, message: `A zone can hold at most ${maxZoneFileRecords} records; this file has ${records.length}.` });
  }
  errors.sort((a, b) => a.line - b.line);
  return { records, skipped, errors };
}

/** The data tokens of one type as record fields, or the sentence that says what is wrong. */
function rdataInput(type: RecordType, tokens: Token[]): Omit<RecordInput, "name" | "type" | "ttl"> | string {
  const words = tokens.map((t) => t.text);
  const count = (n: number, shape: string) => (tokens.length === n ? null : `A ${type} record's data is ${shape}.`);
  const num = (s: string | undefined) => (s !== undefined && isNumber(s) && s.length <= 6 ? Number(s) : Number.NaN);
  switch (type) {
    case "A":
    case "AAAA":
    case "CNAME":
    case "NS": {
      const e = count(1, type === "A" ? "one IPv4 address" : type === "AAAA" ? "one IPv6 address" : "one name");
      return e ?? { value: words[0]! };
    }
    case "MX":
      return count(2, "a priority and a mail server name (10 mail.example.com.)") ?? { priority: num(words[0]), value: words[1]! };
    case "SRV":
      return (
        count(4, "priority, weight, port and target (10 5 5060 sip.example.com.)") ?? {
          priority: num(words[0]),
          weight: num(words[1]),
          port: num(words[2]),
          value: words[3]!,
        }
      );
    case "CAA":
      return count(3, 'flags, tag and value (0 issue "letsencrypt.org")') ?? { flags: num(words[0]), tag: words[1]!, value: tokens[2]!.bytes ? tokens[2]!.bytes.toString("latin1") : words[2]! };
    case "TXT": {
      if (tokens.length === 0) return "A TXT record needs its text in quotes.";
      const bytes = Buffer.concat(tokens.map((t) => t.bytes ?? Buffer.from(t.text, "utf8")));
      try {
        return { value: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
      } catch {
        return "The text is not valid UTF-8.";
      }
    }
  }
}

export type ExportInput = {
  zone: string;
  /** The platform's records (SOA data aside), written first and marked; an import skips them. */
  platform: ZoneRecord[];
  soa: { primary: string; hostmaster: string; serial: number; ttl: number };
  records: ZoneRecord[];
};

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n + 1));

function line(r: ZoneRecord): string {
  return `${pad(r.name, 24)}${pad(String(r.ttl), 6)}IN ${pad(r.type, 5)}${recordData(r)}`;
}

/** The zone as a BIND master file: $ORIGIN, SOA, the platform's records, then the customer's. */
export function exportZoneFile(input: ExportInput): string {
  const out = [
    `; Zone ${input.zone}, exported from the control panel.`,
    "; The SOA, the domain's NS records and the addresses of its site are managed by the platform:",
    "; importing this file again skips them.",
    `$ORIGIN ${input.zone}.`,
    `@ ${input.soa.ttl} IN SOA ${input.soa.primary}. ${input.soa.hostmaster}. ( ${input.soa.serial} 3600 600 1209600 ${input.soa.ttl} )`,
    ...input.platform.map((r) => `${line(r)} ; platform`),
    "",
    ...input.records.map(line),
    "",
  ];
  return out.join("\n");
}
