// PLACEHOLDER until the auth work lands: trusted-proxy aware client IP resolution.
export function clientIp(_headers: Headers): string | null {
  return null;
}
