import { NextResponse, type NextRequest } from "next/server";

// A layout is not told which URL it is rendering, but the sign-in redirect must bring the user back
// there (server/auth/require-page-auth.ts). Overwrites any client-sent value of the header.
// Kept in step with PATH_HEADER in server/auth/require-page-auth.ts (not imported: that module pulls
// in the session code, which has no business in the proxy bundle).
const PATH_HEADER = "x-shoal-path";

export function proxy(request: NextRequest) {
  const forwarded = new Headers(request.headers);
  forwarded.set(PATH_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers: forwarded } });
}

export const config = {
  // Pages only: not the API, Next's assets, the brand logo route or files in public/.
  matcher: ["/((?!api/|_next/|brand-logo/|favicon\\.ico|.*\\.(?:png|svg|ico|txt|webmanifest)$).*)"],
};
