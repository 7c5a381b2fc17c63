/**
 * Ends the session with better-auth (POST, so a link or an image cannot sign anyone out), then
 * reloads onto the sign-in page so no cached query data survives. Returns false, and stays put,
 * when the server did not end the session: going to sign-in would look like success while the
 * session still lives.
 */
export async function signOut(): Promise<boolean> {
  try {
    const res = await fetch("/api/auth/sign-out", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if (!res.ok) return false;
  } catch {
    return false;
  }
  window.location.assign("/sign-in");
  return true;
}
