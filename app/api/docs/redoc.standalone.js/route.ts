import { readFile } from "node:fs/promises";
import { join } from "node:path";

// Redoc's self-contained browser bundle, from the installed npm package: the reference page loads
// nothing from elsewhere. Its one remote asset (the "API docs by Redocly" logo, fetched from
// Redocly's CDN) is replaced by an empty image.
const REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
let bundle: Promise<string> | undefined;

export async function GET() {
  bundle ??= readFile(join(process.cwd(), "node_modules", "redoc", "bundles", "redoc.standalone.js"), "utf8").then((text) =>
    text.split(REMOTE_LOGO).join("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"),
  );
  return new Response(await bundle, {
    headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" },
  });
}
