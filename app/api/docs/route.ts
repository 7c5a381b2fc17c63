import { getAuthState } from "@/server/auth/get-auth-state";
import { resolveBrand } from "@/server/services/brand/resolve-brand";
import { docsPageHtml } from "@/server/rest/docs-page";

// Thin adapter: the page is built in server/rest/docs-page.ts, under the host's brand.
export async function GET(req: Request) {
  const brand = await resolveBrand(req.headers.get("host"), await getAuthState(req.headers));
  return new Response(docsPageHtml(brand), {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      // Nothing on this page may come from elsewhere (Redoc needs inline styles, blob: workers, and its own init script).
      "content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
    },
  });
}

export const dynamic = "force-dynamic";
