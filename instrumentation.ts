// Next.js runs register() once per server process, before it handles requests.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { installPeerForwarding } = await import("./server/http/peer-forwarding");
  const { trustedProxies } = await import("./server/http/client-ip");
  installPeerForwarding(trustedProxies());
}
