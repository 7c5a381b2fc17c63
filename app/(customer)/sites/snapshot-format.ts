const sizeUnits = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

/** 1.2 MB, 830 kB: decimal units, as file managers show them. */
export function formatSize(bytes: number): string {
  // Intl's short unit for a byte is the whole word ("13 byte"); file managers say B.
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < sizeUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  return new Intl.NumberFormat(undefined, { style: "unit", unit: sizeUnits[unit], unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
}
