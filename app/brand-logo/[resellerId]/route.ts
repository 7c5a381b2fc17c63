import { getBrandLogo } from "@/server/services/brand/get-brand-logo";

// Serves a reseller's logo: always our own PNG re-encode, with headers that stop a browser from
// sniffing it as anything else or running anything in it if opened directly.
const baseHeaders = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
};

export async function GET(request: Request, { params }: { params: Promise<{ resellerId: string }> }) {
  const { resellerId } = await params;
  const logo = /^[A-Za-z0-9_-]{1,64}$/.test(resellerId) ? await getBrandLogo(resellerId) : null;
  if (!logo) {
    return new Response("Not found", {
      status: 404,
      headers: { ...baseHeaders, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  // The page links ?v=<logoUpdatedAt ms>, so a versioned URL never changes content and may be
  // cached for a year; an old or missing version gets a short lifetime so it refreshes soon.
  const version = new URL(request.url).searchParams.get("v");
  const current = version === String(logo.updatedAt.getTime());
  return new Response(new Uint8Array(logo.png), {
    status: 200,
    headers: {
      ...baseHeaders,
      "Content-Type": "image/png",
      "Content-Length": String(logo.png.byteLength),
      "Cache-Control": current ? "public, max-age=31536000, immutable" : "public, max-age=60",
      "Last-Modified": logo.updatedAt.toUTCString(),
    },
  });
}
