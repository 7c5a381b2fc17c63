import { Pool } from "pg";

// Whether the panel's database answers, asked at most once per `freshMs` and never for longer than
// `timeoutMs`. The proxy consults it before every page and API request, so that a Postgres outage
// gives a maintenance answer (503) instead of each page failing on its own with a bare 500. One
// pooled connection does the asking: a healthy check is one `SELECT 1` a second.

export type DatabaseProbe = {
  /** True when the last check (at most `freshMs` old, else a new one) reached the database. */
  up(): Promise<boolean>;
  close(): Promise<void>;
};

export type DatabaseProbeOptions = { freshMs?: number; timeoutMs?: number; now?: () => number };

export function createDatabaseProbe(databaseUrl: string, opts: DatabaseProbeOptions = {}): DatabaseProbe {
  const freshMs = opts.freshMs ?? 1_000;
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const now = opts.now ?? Date.now;
  const pool = new Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, idleTimeoutMillis: 30_000 });
  // A connection that dies while idle (the outage itself) must not crash the process.
  pool.on("error", () => undefined);
  let last: { at: number; up: boolean } | null = null;
  let inFlight: Promise<boolean> | null = null;

  async function check(): Promise<boolean> {
    try {
      await pool.query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }

  return {
    up() {
      if (last && now() - last.at < freshMs) return Promise.resolve(last.up);
      // Requests arriving during a check share it: an outage costs one timeout, not one per request.
      inFlight ??= check().then((up) => {
        last = { at: now(), up };
        inFlight = null;
        return up;
      });
      return inFlight;
    },
    close: () => pool.end(),
  };
}
