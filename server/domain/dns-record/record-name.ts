import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { checkAsciiName, isUnder, maxLabelLength, maxNameLength } from "../dns-name";
import { fail, ok, quote, type Parsed } from "../parsed";

// Names inside DNS records. Owner names are stored relative to the zone ("@", "www", "_dmarc",
// "*.dev"); targets (CNAME, MX, NS, SRV) are stored absolute, lower-case ASCII, without the root
// dot. Two ways to read what was typed:
//  - "form": what people type in a panel. Owner: "@" or empty is the apex, a name ending in the
//    zone (or a dot) is absolute, anything else is relative. Target: "@" is the apex, a name with a
//    dot is absolute ("mail.example.net"), a single label is relative ("mail" → mail.<zone>).
//  - "bind": RFC 1035 master-file rules: absolute only with a trailing dot, else relative to the
//    current $ORIGIN.

export type NameMode = { kind: "form" } | { kind: "bind"; origin: string };

/** Every label to lower-case ASCII (IDNA for labels with non-ASCII letters), like domain-name.ts. */
function toAscii(name: string): Parsed<string> {
  const labels = name.split(".");
  const out: string[] = [];
  for (const label of labels) {
    if (/[^\x00-\x7f]/.test(label)) {
      const ascii = domainToASCII(label);
      if (ascii === "" || ascii.includes(".")) return fail(`${quote(label)} is not a valid internationalised label.`);
      out.push(ascii);
    } else {
      out.push(label.replace(/[A-Z]+/g, (s) => s.toLowerCase()));
    }
  }
  return ok(out.join("."));
}

function prepare(input: string): Parsed<string> {
  if (/[\u0000-\u001f\u007f]/.test(input)) return fail("Must not contain control characters or line breaks.");
  const trimmed = input.trim().replace(/[\u3002\uff0e\uff61]/g, ".");
  if (/\s/.test(trimmed)) return fail("Must not contain spaces.");
  if (trimmed.length > 300) return fail(`A name can be at most ${maxNameLength} characters.`);
  if (trimmed.includes("://") || trimmed.includes("/")) return fail("Enter only a name, without http:// or a path.");
  if (trimmed.includes("@") && trimmed !== "@") return fail("Enter a name, not an email address.");
  return ok(trimmed);
}

/** The absolute name (no root dot) an owner name stands for. */
function absoluteOwner(raw: string, zone: string, mode: NameMode): string {
  if (mode.kind === "bind") {
    if (raw === "@") return mode.origin;
    if (raw.endsWith(".")) return raw.slice(0, -1);
    return mode.origin === "" ? raw : `${raw}.${mode.origin}`;
  }
  if (raw === "" || raw === "@") return zone;
  if (raw.endsWith(".")) return raw.slice(0, -1);
  if (isUnder(raw, zone)) return raw;
  return `${raw}.${zone}`;
}

function absoluteTarget(raw: string, zone: string, mode: NameMode): string {
  if (mode.kind === "bind") return absoluteOwner(raw, zone, mode);
  if (raw === "@") return zone;
  if (raw.endsWith(".")) return raw.slice(0, -1);
  return raw.includes(".") ? raw : `${raw}.${zone}`;
}

/** Label rules for owner names: letters, digits, hyphens, underscores (_dmarc, _sip._tcp), "*" first. */
function ownerLabelsError(name: string): string | null {
  if (name.length > maxNameLength) return `A name can be at most ${maxNameLength} characters; this one has ${name.length}.`;
  const labels = name.split(".");
  for (const [i, label] of labels.entries()) {
    if (label === "") return "Must not contain an empty part: check for two dots in a row.";
    if (label === "*") {
      if (i !== 0) return "A wildcard (*) can only be the first part of a name, as in *.example.com.";
      continue;
    }
    if (label.length > maxLabelLength) return `A label can be at most ${maxLabelLength} characters: ${quote(label)} has ${label.length}.`;
    const bad = /[^a-z0-9_-]/.exec(label);
    if (bad) return `Can only contain letters, digits, hyphens, underscores and dots: "${bad[0]}" is not allowed.`;
    if (label.startsWith("-") || label.endsWith("-")) return `A label must not start or end with a hyphen: ${quote(label)}.`;
    if (label.startsWith("xn--")) {
      const unicode = domainToUnicode(label);
      if (unicode === "" || unicode === label || domainToASCII(unicode) !== label) {
        return `${quote(label)} is not a valid internationalised (xn--) label.`;
      }
    }
  }
  return null;
}

/** The zone-relative form of an absolute name inside the zone: "@" for the apex. */
export function relativeName(absolute: string, zone: string): string {
  return absolute === zone ? "@" : absolute.slice(0, -(zone.length + 1));
}

/** The absolute form of a stored (relative) owner name. */
export function absoluteName(relative: string, zone: string): string {
  return relative === "@" ? zone : `${relative}.${zone}`;
}

/** An owner name: must be the zone or under it. Returns the zone-relative name. */
export function parseOwnerName(input: string, zone: string, mode: NameMode = { kind: "form" }): Parsed<string> {
  const prepared = prepare(input);
  if (!prepared.ok) return prepared;
  const ascii = toAscii(prepared.value === "@" ? "@" : prepared.value);
  if (!ascii.ok) return ascii;
  const absolute = absoluteOwner(ascii.value, zone, mode);
  const error = ownerLabelsError(absolute);
  if (error) return fail(error);
  if (!isUnder(absolute, zone)) {
    return fail(`This name is outside ${domainToUnicode(zone)}: records here can only be for ${domainToUnicode(zone)} and names under it.`);
  }
  return ok(relativeName(absolute, zone));
}

/**
 * A target name (CNAME, MX, NS, SRV): a name, never an address. `host` targets (MX, NS, SRV) follow
 * hostname rules; a CNAME may point at an underscore name (DKIM selectors are often CNAMEs).
 */
export function parseTargetName(input: string, zone: string, opts: { mode?: NameMode; host: boolean }): Parsed<string> {
  const prepared = prepare(input);
  if (!prepared.ok) return prepared;
  const raw = prepared.value;
  if (raw === "") return fail("Enter a name, such as mail.example.com.");
  const bare = raw.replace(/\.$/, "").replace(/^\[(.*)\]$/, "$1");
  if (isIPv4(bare) || isIPv6(bare)) return fail("Enter a name here, not an IP address: create an A or AAAA record for the address and point at its name.");
  const ascii = toAscii(raw);
  if (!ascii.ok) return ascii;
  const absolute = absoluteTarget(ascii.value, zone, opts.mode ?? { kind: "form" });
  if (absolute.includes("*")) return fail("A target cannot contain a wildcard (*).");
  const error = opts.host ? checkAsciiName(absolute, "name") : (ownerLabelsError(absolute) ?? (absolute.includes(".") ? null : "Enter a full name, such as host.example.com."));
  if (error) return fail(error);
  return ok(absolute);
}
