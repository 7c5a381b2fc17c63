import { checkAsciiName } from "../dns-name";
import { typeFail, typeOk, type RecordErrors, type RecordInput, type TypeResult } from "./types";

export const caaTags = ["issue", "issuewild", "iodef"] as const;
export type CaaTag = (typeof caaTags)[number];

/** issue/issuewild (RFC 8659 §4.2): ";" (no CA may issue) or a CA's domain with optional key=value parameters. */
function issueValueError(value: string): string | null {
  const [domain = "", ...params] = value.split(";").map((s) => s.trim());
  if (domain === "" && params.every((p) => p === "")) return null;
  if (domain === "") return 'Start with the certificate authority\'s domain, such as letsencrypt.org, or enter ";" to allow none.';
  const error = checkAsciiName(domain.toLowerCase(), "certificate authority's domain");
  if (error) return error;
  for (const p of params) {
    if (p === "") continue;
    if (!/^[a-zA-Z0-9]+=[\x21-\x3a\x3c-\x7e]*$/.test(p)) return `${JSON.stringify(p)} is not a parameter of the form key=value.`;
  }
  return null;
}

/** iodef (RFC 8659 §4.4): where CAs report refused requests, a mailto: or http(s): URL. */
function iodefValueError(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "Enter a mailto: address or an https:// URL, such as mailto:security@example.com.";
  }
  if (url.protocol === "mailto:") return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(url.pathname) ? null : "Enter an email address after mailto:.";
  if (url.protocol === "https:" || url.protocol === "http:") return null;
  return "Enter a mailto: address or an https:// URL, such as mailto:security@example.com.";
}

/**
 * CAA: which certificate authorities may issue for the name. Stored in master-file form,
 * `<flags> <tag> "<value>"` (0 issue "letsencrypt.org"), which PowerDNS takes as content too.
 */
export function parseCaaData(input: RecordInput): TypeResult {
  const errors: RecordErrors = {};
  const flags = input.flags ?? 0;
  if (flags !== 0 && flags !== 128) errors.flags = "The flags are 0, or 128 (critical: a CA that does not understand the tag must not issue).";
  const tag = (input.tag ?? "").trim().toLowerCase();
  if (!(caaTags as readonly string[]).includes(tag)) errors.tag = "Choose issue, issuewild or iodef.";
  const value = input.value.trim();
  if (/["\\\u0000-\u001f\u007f-\uffff]/.test(value)) {
    errors.value = "Use plain ASCII without quotes or backslashes.";
  } else if (value.length > 255) {
    errors.value = "The value can be at most 255 characters.";
  } else if (tag === "iodef") {
    const e = iodefValueError(value);
    if (e) errors.value = e;
  } else if (tag === "issue" || tag === "issuewild") {
    const e = issueValueError(value);
    if (e) errors.value = e;
  }
  if (Object.keys(errors).length > 0) return typeFail(errors);
  const canonical = tag === "iodef" ? value : value.replace(/^([^;]*)/, (d) => d.trim().toLowerCase());
  return typeOk({ content: `${flags} ${tag} "${canonical === "" ? ";" : canonical}"` });
}

/** The parts of stored CAA content, for the edit form and the zone-file reader. */
export function splitCaaContent(content: string): { flags: number; tag: string; value: string } {
  const m = /^(\d+) ([a-z]+) "(.*)"$/.exec(content);
  return m ? { flags: Number(m[1]), tag: m[2]!, value: m[3]! } : { flags: 0, tag: "", value: content };
}
