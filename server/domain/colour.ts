import { fail, ok, schemaFromParser, type Parsed } from "./parsed";

// Brand colours a reseller picks. Stored as lower-case #rrggbb so that comparisons, CSS custom
// properties and the contrast check all see one form.

export function parseHexColour(input: string): Parsed<string> {
  const value = input.trim().toLowerCase();
  if (value === "") return fail("Enter a colour such as #1d4ed8.");
  if (!value.startsWith("#")) return fail("Must start with # followed by 3 or 6 hex digits, such as #1d4ed8.");
  const digits = value.slice(1);
  if (/[^0-9a-f]/.test(digits)) return fail("Can only contain the hex digits 0-9 and a-f after the #.");
  if (digits.length === 3) return ok(`#${[...digits].map((d) => d + d).join("")}`);
  if (digits.length === 6) return ok(value);
  return fail(`Must have 3 or 6 hex digits after the #; this one has ${digits.length}.`);
}

export const hexColourSchema = schemaFromParser(parseHexColour);

/** WCAG 2.1 relative luminance of an sRGB colour. */
function relativeLuminance(hex: string): number {
  const channel = (offset: number) => {
    const c = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/**
 * WCAG 2.1 contrast ratio of two colours, from 1 (same) to 21 (black on white). Order does not
 * matter. Throws on a malformed colour: callers pass values already parsed or stored.
 */
export function contrastRatio(a: string, b: string): number {
  const pa = parseHexColour(a);
  const pb = parseHexColour(b);
  if (!pa.ok || !pb.ok) throw new Error(`contrastRatio needs two hex colours, got ${JSON.stringify([a, b])}`);
  const la = relativeLuminance(pa.value);
  const lb = relativeLuminance(pb.value);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
