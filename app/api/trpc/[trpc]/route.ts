import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/trpc/root";
import { sameOriginRequest } from "@/server/http/same-origin";
import { createContext } from "@/server/trpc/init";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ headers: req.headers, resHeaders, crossSite: !sameOriginRequest(req.headers) }),
  });
}

export { handler as GET, handler as POST };
