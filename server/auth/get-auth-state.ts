// PLACEHOLDER until the auth work lands (better-auth sessions). Nothing is signed in.
import type { AuthState } from "./auth-state";

export async function getAuthState(_headers: Headers): Promise<AuthState | null> {
  return null;
}
