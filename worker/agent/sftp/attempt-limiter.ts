import { limits, type LimitRule } from "../../../server/auth/attempt-limits";

// Wrong SFTP passwords are limited as panel sign-ins are (server/auth/rate-limit.ts: 5 per account
// and 20 per address in 15 minutes), counted before the password is checked so a burst of
// parallel guesses gets only `max` evaluations. The gateway must work with Postgres down, so the
// counts live in this node's memory: an attacker spreading guesses over N nodes gets N times the
// allowance, bounded by the number of nodes (docs/architecture.md, SFTP).

type Window = { count: number; resetAt: number };

export const sftpLimits = { account: limits.loginAccount, address: limits.loginIp } as const;

export class AttemptLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  private hit(key: string, rule: LimitRule): Window {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + rule.windowSeconds * 1000 };
      this.windows.set(key, w);
    }
    w.count++;
    return w;
  }

  /** Counts the attempt on both keys; false when either is past its limit (then do not evaluate it). */
  reserve(username: string, address: string): boolean {
    this.prune();
    const a = this.hit(`account:${username}`, sftpLimits.account);
    const b = this.hit(`address:${address}`, sftpLimits.address);
    return a.count <= sftpLimits.account.max && b.count <= sftpLimits.address.max;
  }

  /** A reserved attempt that succeeded is given back. */
  refund(username: string, address: string): void {
    for (const key of [`account:${username}`, `address:${address}`]) {
      const w = this.windows.get(key);
      if (w && w.count > 0) w.count--;
    }
  }

  private prune(): void {
    if (this.windows.size < 10_000) return;
    const now = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}
