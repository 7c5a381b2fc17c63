import { getAuthState } from "@/server/auth/get-auth-state";
import { resolveBrand } from "@/server/services/brand/resolve-brand";
import { docsPageHtml } from "@/server/rest/docs-page";

// Thin adapter: the page is built in server/rest/docs-page.ts, under the host's brand.
export async function GET(req: Request) {
  const brand = await resolveBrand(req.headers.get("host"), await getAuthState(req.headers));
  return new Response(docsPageHtml(brand), {
    headers: { "content-type": "text/html; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store" },
  });
}

export const dynamic = "force-dynamic";
