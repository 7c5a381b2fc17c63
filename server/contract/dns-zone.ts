import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";

// The zones a node's PowerDNS answers, as the node spec carries them (server/contract/node-spec.ts).
// The agent writes each zone into a BIND zone file (worker/agent/drivers/pdns.ts), so every value
// here has a grammar that cannot end a record or open another one: no newline, no ";" comment, no
// "$" directive, no unbalanced quote reaches the file. The control plane checks the customer's
// rows against these schemas too and leaves out a row that fails (worker/control/build-zones.ts):
// one bad row must never take a node's whole spec, or other customers' zones, down with it.

/** Record types a zone may carry besides its SOA (which the agent writes from `serial`). */
export const zoneRecordTypes = ["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "CAA"] as const;
export type ZoneRecordType = (typeof zoneRecordTypes)[number];

const label = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** A lower-case ASCII host name without the final dot: labels of letters, digits, "-" and "_". */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split(".").every((part) => label.test(part));
}

/** An owner name: the zone itself or a name under it, "*" allowed as the first label only. */
export function isOwnerIn(zone: string, owner: string): boolean {
  if (owner === zone) return true;
  if (!owner.endsWith(`.${zone}`) || owner.length > 253) return false;
  const inner = owner.slice(0, -(zone.length + 1)).split(".");
  return inner.every((part, i) => label.test(part) || (i === 0 && part === "*"));
}

const printable = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

/** Why `content` is not valid for `type` (with `priority` for MX and SRV), or null. */
export function recordContentProblem(type: ZoneRecordType, content: string, priority: number | null): string | null {
  const needsPriority = type === "MX" || type === "SRV";
  if (needsPriority && priority === null) return `${type} needs a priority.`;
  if (!needsPriority && priority !== null) return `${type} takes no priority.`;
  switch (type) {
    case "A":
      return isIPv4(content) ? null : "Must be an IPv4 address.";
    case "AAAA":
      return isIPv6(content) && !content.includes("%") ? null : "Must be an IPv6 address.";
    case "CNAME":
    case "MX":
    case "NS":
      return isHostName(content) ? null : "Must be a host name such as mail.example.com.";
    case "SRV": {
      const m = /^([0-9]{1,5}) ([0-9]{1,5}) (\S+)$/.exec(content);
      if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535 || !(m[3] === "." || isHostName(m[3]!))) return 'Must be "weight port target".';
      return null;
    }
    case "CAA": {
      const m = /^(0|128) (issue|issuewild|iodef) "([^"\\]*)"$/.exec(content);
      if (!m || !printable(m[3]!)) return 'Must be "flags tag \\"value\\"" with tag issue, issuewild or iodef.';
      return null;
    }
    case "TXT":
      // Stored unquoted; the agent quotes it and splits it into 255-byte strings.
      if (Buffer.byteLength(content) > 4000) return "Must be at most 4000 bytes.";
      return printable(content) ? null : "Must not contain control characters.";
  }
}

export const zoneRecordSchema = z
  .strictObject({
    /** Absolute owner name, lower-case ASCII, without the final dot. */
    name: z.string().max(253),
    type: z.enum(zoneRecordTypes),
    ttl: z.number().int().min(1).max(604_800),
    content: z.string().max(4000),
    priority: z.number().int().min(0).max(65535).nullable(),
  })
  .superRefine((record, ctx) => {
    const problem = recordContentProblem(record.type, record.content, record.priority);
    if (problem) ctx.addIssue({ code: "custom", path: ["content"], message: problem, input: record.content });
  });
export type ZoneRecord = z.infer<typeof zoneRecordSchema>;

export const zoneSpecSchema = z
  .strictObject({
    name: z.string().refine(isHostName, "Must be a lower-case ASCII domain name."),
    /** SOA serial: rises with every change of the zone's content (worker/control/build-zones.ts). */
    serial: z.number().int().min(1).max(4_294_967_295),
    /** The SOA's primary name server and contact mailbox (as a name: hostmaster.example.com). */
    primary: z.string().refine(isHostName, "Must be a host name."),
    contact: z.string().refine(isHostName, "Must be a host name."),
    records: z.array(zoneRecordSchema).min(1).max(2000),
  })
  .superRefine((zone, ctx) => {
    zone.records.forEach((r, i) => {
      if (!isOwnerIn(zone.name, r.name)) ctx.addIssue({ code: "custom", path: ["records", i, "name"], message: `Must be ${zone.name} or a name under it.`, input: r.name });
    });
    if (!zone.records.some((r) => r.type === "NS" && r.name === zone.name)) {
      ctx.addIssue({ code: "custom", path: ["records"], message: "A zone needs NS records at its apex." });
    }
  });
export type ZoneSpec = z.infer<typeof zoneSpecSchema>;

/**
 * PUT /v1/zones: every zone, as in the spec, sent between converges so that a record change or a
 * dead node's address leaving does not wait for each node's whole converge (worker/control/publish-zones.ts).
 */
export const zonesBodySchema = z.strictObject({ zones: z.array(zoneSpecSchema).max(20000) }).superRefine((body, ctx) => {
  const seen = new Set<string>();
  body.zones.forEach((zone, i) => {
    if (seen.has(zone.name)) ctx.addIssue({ code: "custom", path: ["zones", i, "name"], message: `Zone "${zone.name}" appears more than once.` });
    seen.add(zone.name);
  });
});
export type ZonesBody = z.input<typeof zonesBodySchema>;
