import { handleRest } from "@/server/rest/handler";

// Thin adapter: the REST API lives in server/rest/handler.ts.
function handler(req: Request) {
  return handleRest(req);
}

export const dynamic = "force-dynamic";
export { handler as GET, handler as POST, handler as PATCH, handler as PUT, handler as DELETE };
