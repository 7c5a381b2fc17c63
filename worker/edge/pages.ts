// The few pages the edge answers itself. They are written into nginx's config as single-quoted
// `return` strings, so they must not contain a single quote, a backslash or a dollar sign (nginx
// would read a variable); the "edge pages" test in
// tests/unit/worker/edge/render-edge.test.ts checks that.

function page(title: string, text: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>${title}</h1>
<p>${text}</p>
</body></html>
`;
}

export const unknownHostPage = page("Site not found", "No site is hosted at this address.");
export const unreachablePage = page("Site temporarily unreachable", "The server of this site did not answer. Please try again in a moment.");
export const timeoutPage = page("Site took too long", "The server of this site did not answer in time. Please try again in a moment.");
export const loopPage = page("Request loop", "This request was already forwarded once and was refused.");
/** The hold service's answer when a paused site did not come back in time, or the agent stops. */
export const holdTimeoutPage = page("Site being moved", "This site is moving to another server. Please try again in a few seconds.");
export const holdFullPage = page("Site busy", "Too many requests are waiting for this site. Please try again in a few seconds.");
