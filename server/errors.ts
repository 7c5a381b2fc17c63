// The one error type of Shoal's services. Procedures and REST handlers never build their own:
// server/trpc/init.ts and the route handlers under app/api/ map these codes, and nothing else, to
// responses.
export const appErrorCodes = {
  BAD_INPUT: { trpc: "BAD_REQUEST", http: 400 },
  UNAUTHENTICATED: { trpc: "UNAUTHORIZED", http: 401 },
  FORBIDDEN: { trpc: "FORBIDDEN", http: 403 },
  NOT_FOUND: { trpc: "NOT_FOUND", http: 404 },
  ALREADY_EXISTS: { trpc: "CONFLICT", http: 409 },
  CONFLICT: { trpc: "CONFLICT", http: 409 },
  LIMIT_EXCEEDED: { trpc: "FORBIDDEN", http: 403 },
  PRECONDITION_FAILED: { trpc: "PRECONDITION_FAILED", http: 412 },
  RATE_LIMITED: { trpc: "TOO_MANY_REQUESTS", http: 429 },
  INTERNAL: { trpc: "INTERNAL_SERVER_ERROR", http: 500 },
} as const;

export type AppErrorCode = keyof typeof appErrorCodes;
/** Messages per input field, shown next to the field ("name": "must not start with a hyphen"). */
export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly fieldErrors?: FieldErrors;

  constructor(code: AppErrorCode, message: string, fieldErrors?: FieldErrors) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = fieldErrors;
  }

  static field(field: string, message: string, code: AppErrorCode = "BAD_INPUT"): AppError {
    return new AppError(code, message, { [field]: message });
  }

  static notFound(what: string): AppError {
    return new AppError("NOT_FOUND", `${what} not found`);
  }
}

/** Prisma's unique-constraint violation (P2002), from the driver adapter or the query compiler. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; cause?: { code?: unknown; kind?: unknown } };
  return e.code === "P2002" || e.cause?.code === "23505" || e.cause?.kind === "UniqueConstraintViolation";
}
