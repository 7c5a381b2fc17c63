// When certificates are ordered again, and how a failed order is named. Pure, so the schedule is
// unit tested; worker/control/acme/issue-certificate.ts applies it.

/** Why an order failed, as the domain page and the cluster page show it. */
export type AcmeFailureReason = "NOT_POINTED" | "CAA" | "REFUSED" | "RATE_LIMITED" | "UNREACHABLE";

export const acmeFailureText: Record<AcmeFailureReason, string> = {
  NOT_POINTED: "The domain does not point at this cluster yet, so the certificate authority cannot check it.",
  CAA: "The domain's CAA records do not allow this certificate authority to issue for it.",
  REFUSED: "The certificate authority refused the order.",
  RATE_LIMITED: "The certificate authority's rate limit was reached; the order will be retried later.",
  UNREACHABLE: "The certificate authority could not be reached.",
};

/** An ACME problem document's type (RFC 8555 section 6.7) or a transport failure, as a reason. */
export function classifyAcmeError(error: unknown): AcmeFailureReason {
  const type = (error as { type?: unknown } | null)?.type;
  const text = error instanceof Error ? `${error.message} ${typeof type === "string" ? type : ""}` : String(error);
  if (/rateLimited|rate limit/i.test(text)) return "RATE_LIMITED";
  if (/:caa\b|\bCAA\b/.test(text)) return "CAA";
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|socket hang up|fetch failed/.test(text)) return "UNREACHABLE";
  if (/:dns\b|NXDOMAIN|no valid A records|SERVFAIL|:connection\b/.test(text)) return "NOT_POINTED";
  return "REFUSED";
}

const minute = 60_000;
const hour = 60 * minute;

/**
 * When to try again after `failures` failed orders in a row: 5 min, 15 min, 1 h, 4 h, then every
 * 12 h (a domain that is never pointed costs the CA two orders a day). A rate limit waits at
 * least an hour: trying sooner only spends more of the limit. Up to a tenth more at random, so
 * certificates that failed together do not come back together.
 */
export function retryDelayMs(failures: number, reason: AcmeFailureReason, random: () => number = Math.random): number {
  const schedule = [5 * minute, 15 * minute, hour, 4 * hour, 12 * hour];
  const base = Math.max(schedule[Math.min(Math.max(failures, 1), schedule.length) - 1]!, reason === "RATE_LIMITED" ? hour : 0);
  return Math.round(base * (1 + random() / 10));
}

/**
 * When an issued certificate is renewed: two thirds into its life, minus up to a thirtieth of its
 * life at random (a 90-day certificate: between day 57 and day 60), so the renewals of
 * certificates issued together spread out instead of reaching the CA at once.
 */
export function renewAt(notBefore: Date, notAfter: Date, random: () => number = Math.random): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + (life * 2) / 3 - (life / 30) * random());
}
