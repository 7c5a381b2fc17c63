// Whether a request was sent by the panel's own pages: a browser names the page that sent a POST
// in `Origin` (and `Sec-Fetch-Site`), and another site cannot forge either. A mutation whose
// origin is another site is a cross-site request forgery riding on the visitor's cookie. Compared
// with the request's own Host, so every reseller host is its own origin and none trusts another.

export function sameOriginRequest(headers: Headers): boolean {
  const host = headers.get("host");
  const origin = headers.get("origin");
  if (origin !== null) {
    if (!host) return false;
    try {
      const from = new URL(origin);
      // The Host read with the origin's scheme, so "example.test:80" and "http://example.test" agree.
      return (from.protocol === "http:" || from.protocol === "https:") && from.host === new URL(`${from.protocol}//${host}`).host;
    } catch {
      // "null" (a sandboxed frame, a file) or junk.
      return false;
    }
  }
  // No Origin: only a browser's own navigation or same-origin fetch may pass, as it says itself.
  const site = headers.get("sec-fetch-site");
  return site === "same-origin" || site === "none";
}
