// Where the benchmarks find their database, shared by the seeder and the measuring scripts.
export const BENCH_DATABASE = "shoal_bench";

/** Any 40 characters: the bench panel signs its own sessions and nothing outlives the run. */
export const BENCH_AUTH_SECRET = "bench-secret-bench-secret-bench-secret-0";

export function benchServerUrl(): string {
  return (process.env.SHOAL_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432").replace(/\/+$/, "");
}

export function benchDatabaseUrl(): string {
  return `${benchServerUrl()}/${BENCH_DATABASE}`;
}
