// The panel's reading of a Host header, shared by brand resolution and the maintenance proxy (which
// must not pull in the database client to read a header).

/** "Panel.Example.COM:3000" → "panel.example.com"; "[::1]:3000" → "::1"; junk → null. */
export function normaliseHost(host: string | null): string | null {
  if (!host) return null;
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    h = end > 0 ? h.slice(1, end) : "";
  } else {
    h = h.replace(/:\d*$/, "");
  }
  h = h.replace(/\.$/, "");
  if (h === "" || h.length > 253 || !/^[a-z0-9.:-]+$/.test(h)) return null;
  return h;
}
