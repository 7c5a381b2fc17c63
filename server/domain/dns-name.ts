import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII, domainToUnicode } from "node:url";
import { fail, ok, quote, type Parsed } from "./parsed";

// The label and length rules shared by customer domains (domain-name.ts) and platform hostnames
// (hostname.ts). Both end up in nginx server_name lines, zone files and certificate requests, so
// anything that is not a plain LDH name is refused here rather than escaped later.

export const maxNameLength = 253;
export const maxLabelLength = 63;

// Anything longer than this cannot be a valid name in any encoding; refusing early keeps the IDNA
// conversion and the messages cheap for absurd pastes.
const maxInputLength = 1000;

/**
 * Trims and lower-cases ASCII, and refuses the characters that usually mean the customer pasted
 * something else (a URL, an address with a port, an email address, a wildcard). Must run before
 * domainToASCII: Node's implementation is the URL hostname setter, which silently drops
 * everything after "/", "?" or "#" instead of failing.
 */
export function prepareName(input: string, noun: string): Parsed<string> {
  if (/[\r\n]/.test(input)) return fail("Must not contain line breaks.");
  if (/[\u0000-\u001f\u007f]/.test(input)) return fail("Must not contain control characters.");
  const trimmed = input.trim();
  if (trimmed === "") return fail(`Enter a ${noun}.`);
  if (trimmed.length > maxInputLength) {
    return fail(`A ${noun} can be at most ${maxNameLength} characters; this one has ${trimmed.length}.`);
  }
  const name = trimmed.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  if (/\s/.test(name)) return fail("Must not contain spaces.");
  if (name.includes("*")) return fail(`Wildcards (*) are not allowed; enter a single ${noun} such as example.com.`);
  if (name.includes("://") || name.includes("/")) {
    return fail(`Enter only the ${noun}, without http:// or a path.`);
  }
  if (name.includes("@")) return fail(`Enter only the ${noun}, not an email address.`);
  if (name.startsWith("[") || name.includes(":")) {
    const bare = name.replace(/^\[(.*)\]$/, "$1");
    if (isIPv6(bare)) return fail(`IP addresses are not allowed; enter a ${noun} such as example.com.`);
    if (/:\d*$/.test(name)) return fail(`Enter the ${noun} without a port.`);
  }
  const bad = /[\x20-\x7e]/.exec(name.replace(/[a-z0-9.-]/g, ""));
  if (bad) {
    return fail(`Can only contain letters, digits, hyphens and dots: "${bad[0]}" is not allowed.`);
  }
  return ok(name);
}

/** Drops one trailing dot: "example.com." is the same absolute name as "example.com". */
export function stripRootDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** WHATWG URL treats a host whose last label is a number (decimal, 0x-hex) as an IPv4 address. */
function endsInNumber(name: string): boolean {
  const last = name.slice(name.lastIndexOf(".") + 1);
  return /^(\d+|0x[0-9a-f]*)$/.test(last);
}

/** A label in the "xn--" form must decode, and re-encode to exactly itself. */
function isValidALabel(label: string): boolean {
  if (domainToASCII(label) !== label) return false;
  const unicode = domainToUnicode(label);
  return unicode !== "" && unicode !== label && domainToASCII(unicode) === label;
}

/**
 * Checks a lower-case ASCII (punycode) name without its root dot. Returns the sentence for the
 * first rule broken, or null.
 */
export function checkAsciiName(name: string, noun: string): string | null {
  if (name === "") return `Enter a ${noun}.`;
  if (/[^a-z0-9.-]/.test(name)) return "Can only contain letters, digits, hyphens and dots.";
  if (endsInNumber(name)) {
    const asUrlHost = domainToASCII(name);
    if (isIPv4(name) || isIPv4(asUrlHost)) {
      return `IP addresses are not allowed; enter a ${noun} such as example.com.`;
    }
    return "The last part (the top-level domain) cannot be a number.";
  }
  if (name.length > maxNameLength) {
    return `A ${noun} can be at most ${maxNameLength} characters; this one has ${name.length}.`;
  }
  const labels = name.split(".");
  for (const label of labels) {
    if (label === "") return "Must not contain an empty part: check for two dots in a row or a dot at the start.";
    if (label.length > maxLabelLength) {
      return `A label can be at most ${maxLabelLength} characters: ${quote(label)} has ${label.length}.`;
    }
    if (label.startsWith("-")) return `A label must not start with a hyphen: ${quote(label)}.`;
    if (label.endsWith("-")) return `A label must not end with a hyphen: ${quote(label)}.`;
    if (label.slice(2, 4) === "--") {
      if (!label.startsWith("xn--")) {
        return `${quote(label)} has "--" in the third and fourth positions, which is reserved for internationalised names.`;
      }
      if (!isValidALabel(label)) return `${quote(label)} is not a valid internationalised (xn--) label.`;
    }
  }
  if (labels.length < 2) return `Enter a full ${noun} including its ending, such as example.com.`;
  // Whole-name IDNA rules (bidi, joiners) span labels; the round trip also guarantees that the
  // unicode form we show converts back to exactly the name we store.
  if (domainToASCII(name) !== name || domainToASCII(domainToUnicode(name)) !== name) {
    return `This is not a valid internationalised ${noun}.`;
  }
  return null;
}

/** The name itself or any name under it. */
export function isUnder(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/** The name and every name above it: a.b.example.com → itself, b.example.com, example.com, com. */
export function selfAndParents(name: string): string[] {
  const labels = name.split(".");
  return labels.map((_, i) => labels.slice(i).join("."));
}
