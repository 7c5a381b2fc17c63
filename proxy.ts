import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/server/env";
import { createDatabaseProbe, type DatabaseProbe } from "@/server/http/database-probe";
import { isApiPath, maintenanceAnswer } from "@/server/http/maintenance-guard";

// A layout is not told which URL it is rendering, but the sign-in redirect must bring the user back
// there (server/auth/require-page-auth.ts). Overwrites any client-sent value of the header.
// Kept in step with PATH_HEADER in server/auth/require-page-auth.ts (not imported: that module pulls
// in the session code, which has no business in the proxy bundle).
const PATH_HEADER = "x-shoal-path";

// With the database unreachable every page and API call is answered by the maintenance guard
// (503), not left to fail on its own.
let probe: DatabaseProbe | null = null;
const databaseProbe = () => (probe ??= createDatabaseProbe(env.DATABASE_URL));

export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const maintenance = await maintenanceAnswer(databaseProbe(), pathname, request.headers.get("host"));
  if (maintenance) return maintenance;
  if (isApiPath(pathname)) return NextResponse.next();
  const forwarded = new Headers(request.headers);
  forwarded.set(PATH_HEADER, pathname + search);
  return NextResponse.next({ request: { headers: forwarded } });
}

export const config = {
  // Pages (not Next's assets, the brand logo route or files in public/) and the panel's API. Not
  // /api/health and /metrics: monitoring must hear about an outage from them, not a maintenance page.
  matcher: ["/((?!api/|_next/|brand-logo/|favicon\\.ico|.*\\.(?:png|svg|ico|txt|webmanifest)$).*)", "/api/trpc/:path*", "/api/auth/:path*"],
};
