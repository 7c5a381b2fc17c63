import type { MaintenanceBrand } from "../services/brand/last-known-brand";

// What the panel answers while its database is unreachable (the proxy decides when): people get a
// page in the host's brand that says their sites are fine, API clients an RFC 9457 problem. Both
// are 503 with Retry-After, never cached, and say nothing about what failed inside.

export const MAINTENANCE_RETRY_AFTER_S = 30;

const headers = (contentType: string) => ({
  "content-type": contentType,
  "retry-after": String(MAINTENANCE_RETRY_AFTER_S),
  "cache-control": "no-store",
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A stored colour is re-checked here too: only #rrggbb reaches the style sheet. */
const colour = (value: string | undefined) => (value && /^#[0-9a-fA-F]{6}$/.test(value) ? value : "#0f766e");

export function maintenancePage(brand: MaintenanceBrand | null): Response {
  const name = brand ? escapeHtml(brand.displayName) : null;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="${MAINTENANCE_RETRY_AFTER_S}">
<title>${name ? `Maintenance · ${name}` : "Maintenance"}</title>
<style>
  :root { color-scheme: light dark; --brand: ${colour(brand?.primaryColor)}; }
  body { margin: 0; min-height: 100dvh; display: flex; align-items: center; justify-content: center; font: 16px/1.5 system-ui, sans-serif; background: #fafafa; color: #18181b; }
  main { max-width: 28rem; margin: 1rem; padding: 2rem 1.5rem; border-radius: 0.75rem; background: #fff; box-shadow: 0 1px 3px rgb(0 0 0 / 0.12); border-top: 4px solid var(--brand); text-align: center; }
  h1 { margin: 0 0 0.5rem; font-size: 1.25rem; }
  p { margin: 0.5rem 0 0; color: #52525b; font-size: 0.9rem; }
  .name { font-weight: 600; color: var(--brand); letter-spacing: 0.01em; }
  @media (prefers-color-scheme: dark) { body { background: #09090b; color: #f4f4f5; } main { background: #18181b; } p { color: #a1a1aa; } }
</style>
</head>
<body>
<main>
${name ? `<div class="name">${name}</div>\n` : ""}<h1>The control panel is down for maintenance</h1>
<p><strong>Your websites keep running</strong>: your sites and their databases keep serving visitors.</p>
<p>This page tries again by itself every ${MAINTENANCE_RETRY_AFTER_S} seconds.</p>
</main>
</body>
</html>
`;
  return new Response(html, { status: 503, headers: headers("text/html; charset=utf-8") });
}

export function maintenanceProblem(): Response {
  const body = {
    type: "about:blank",
    title: "Service Unavailable",
    status: 503,
    detail: `The control panel is down for maintenance; hosted sites keep running. Retry after ${MAINTENANCE_RETRY_AFTER_S} seconds.`,
  };
  return new Response(JSON.stringify(body), { status: 503, headers: headers("application/problem+json") });
}
