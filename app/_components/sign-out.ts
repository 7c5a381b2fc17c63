/**
 * Ends the session with better-auth (POST, so a link or an image cannot sign anyone out) and
 * reloads onto the sign-in page so no cached query data survives.
 */
export async function signOut(): Promise<void> {
  try {
    await fetch("/api/auth/sign-out", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
  } finally {
    window.location.assign("/sign-in");
  }
}
