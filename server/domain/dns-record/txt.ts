import { typeFail, typeOk, type RecordInput, type TypeResult } from "./types";

/** Longer than any SPF, DMARC or 4096-bit DKIM record needs, and still fits a TCP answer easily. */
export const maxTxtBytes = 4000;
/** One character-string on the wire (RFC 1035 §3.3): a longer text is several strings. */
export const txtChunkBytes = 255;

/**
 * TXT: the logical text as the customer means it (one SPF or DKIM value), stored whole. Zone files
 * and the wire split it into 255-byte strings (txtStrings); readers join them back.
 */
export function parseTxtData(input: RecordInput): TypeResult {
  const value = input.value;
  if (value.trim() === "") return typeFail({ value: "Enter the text." });
  if (!value.isWellFormed()) return typeFail({ value: "The text contains an invalid character." });
  if (/[\u0000-\u001f\u007f]/.test(value)) return typeFail({ value: "The text must not contain line breaks, tabs or control characters." });
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxTxtBytes) return typeFail({ value: `The text can be at most ${maxTxtBytes} bytes; this one has ${bytes}.` });
  return typeOk({ content: value });
}

/** The text's UTF-8 bytes in strings of at most 255 bytes, as a zone file writes them. */
export function txtStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, "utf8");
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += txtChunkBytes) out.push(bytes.subarray(i, i + txtChunkBytes));
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

/** One character-string in master-file form: quoted, `"` and `\` escaped, other bytes as \DDD. */
export function quoteBytes(bytes: Buffer): string {
  let s = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
    else s += `\\${b.toString().padStart(3, "0")}`;
  }
  return `${s}"`;
}

/** TXT data in master-file (and PowerDNS content) form: "…" "…" in 255-byte strings. */
export function txtPresentation(value: string): string {
  return txtStrings(value).map(quoteBytes).join(" ");
}
