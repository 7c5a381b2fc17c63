import type { ResolvedBrand } from "../services/brand/resolve-brand";
import { parseHexColour } from "../domain/colour";

// The API reference page: Redoc's standalone bundle, served by the panel itself (no CDN, no
// fonts from elsewhere), rendering /api/v1/openapi.json under the brand of the host's reseller.

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Inside a <script>: JSON with "<" escaped, so no text of a brand can close the element.
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

export function docsPageHtml(brand: ResolvedBrand): string {
  const primary = parseHexColour(brand.primaryColor);
  const title = `${brand.displayName} API reference`;
  const options = {
    theme: { colors: { primary: { main: primary.ok ? primary.value : "#0f766e" } }, typography: { fontFamily: "system-ui, sans-serif", headings: { fontFamily: "system-ui, sans-serif" } } },
    hideDownloadButton: false,
    expandResponses: "200,202",
  };
  const logo = brand.logoUrl ? `<img src="${escapeHtml(brand.logoUrl)}" alt="" style="height:28px">` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{margin:0;font-family:system-ui,sans-serif}header{display:flex;gap:12px;align-items:center;padding:12px 20px;border-bottom:1px solid #e5e7eb}header a{margin-left:auto;color:inherit;font-size:14px}</style>
</head>
<body>
<header>${logo}<strong>${escapeHtml(title)}</strong><a href="/api/v1/openapi.json">OpenAPI document</a></header>
<div id="reference"></div>
<script src="/api/docs/redoc.standalone.js"></script>
<script>Redoc.init("/api/v1/openapi.json", ${scriptJson(options)}, document.getElementById("reference"));</script>
</body>
</html>`;
}
