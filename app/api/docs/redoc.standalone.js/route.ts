import { readFile } from "node:fs/promises";
import { join } from "node:path";

// Redoc's self-contained browser bundle, from the installed npm package: the reference page loads
// nothing from elsewhere.
let bundle: Promise<Buffer> | undefined;

export async function GET() {
  bundle ??= readFile(join(process.cwd(), "node_modules", "redoc", "bundles", "redoc.standalone.js"));
  return new Response(new Uint8Array(await bundle), {
    headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" },
  });
}
