/**
 * A PHP single-quoted string literal. Inside one only \ and ' are special (and "?>" does not end
 * the PHP block), so escaping those two makes any control-character-free value inert.
 */
export function phpString(value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error("Refusing a control character in a PHP literal.");
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
