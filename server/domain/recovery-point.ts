// What a plan promises when a server fails, in the words a customer reads (the dashboard) and a
// reseller sells (the plans page). One place, so the wording follows the engine: today a failover
// starts a site from its replica's latest snapshot, so what can be lost is what changed since the
// last snapshot reached the replica, up to one cadence (plus the copy's own time).

export type RecoveryPlan = { copies: number; snapshotCadenceSec: number };

export type RecoveryPoint = {
  /** Short, for a table cell: "≤ 1 min of changes" or "Offline until the server is back". */
  short: string;
  /** What happens to the sites when their server fails. */
  failover: string;
  /** What can be lost, or what remains. */
  dataLoss: string;
};

/** "30 seconds", "1 minute", "5 minutes", "1 hour 30 minutes". */
export function spokenDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const part = (n: number, unit: string) => (n ? `${n} ${unit}${n === 1 ? "" : "s"}` : "");
  return [part(h, "hour"), part(m, "minute"), part(sec, "second")].filter(Boolean).join(" ") || "0 seconds";
}

const compact = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

export function recoveryPoint(plan: RecoveryPlan): RecoveryPoint {
  const every = spokenDuration(plan.snapshotCadenceSec);
  if (plan.copies < 2) {
    return {
      short: "Offline until the server is back",
      failover: "Your sites are kept on one server only: if that server fails, they are offline until it is back.",
      dataLoss: `A snapshot every ${every} lets you roll a site back to an earlier moment; nothing is copied to another server.`,
    };
  }
  return {
    short: `≤ ${compact(plan.snapshotCadenceSec)} of changes`,
    failover: `If the server running your sites fails, they start again on another server within seconds (${plan.copies} copies of each site).`,
    dataLoss: `Changes made in the last ${every} before a failure (new files, database writes) may be lost; everything older is kept.`,
  };
}
