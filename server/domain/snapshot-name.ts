/**
 * A snapshot name the agent accepts (worker/agent/storage/names.ts): a lower-case kind and the
 * UTC instant with milliseconds, such as s-20261201T201500123Z ("s" the cadence, "mv" a move's
 * copies, "pre" the state kept before a rollback or a promote).
 */
export function snapshotName(kind: string, at: Date): string {
  return `${kind}-${at.toISOString().replace(/[-:.]/g, "")}`;
}
