// How many failed sign-ins are allowed, per account and per client address, in what window. Its
// own module, free of the database, because the nodes' SFTP gateways apply the same numbers
// (worker/agent/sftp/attempt-limiter.ts) in a process that has no panel environment.

export type LimitRule = { max: number; windowSeconds: number };

/** Failed sign-ins and TOTP codes, per account and per client IP; reset requests likewise. */
export const limits = {
  loginAccount: { max: 5, windowSeconds: 15 * 60 },
  loginIp: { max: 20, windowSeconds: 15 * 60 },
  resetAccount: { max: 5, windowSeconds: 15 * 60 },
  resetIp: { max: 20, windowSeconds: 15 * 60 },
} as const satisfies Record<string, LimitRule>;
