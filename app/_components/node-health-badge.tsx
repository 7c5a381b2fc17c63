import { Badge, StatusBadge } from "./badge";

/** "No heartbeat for 42 s", "No heartbeat for 3 min": the seconds the server measured. */
export function silenceText(sec: number): string {
  if (sec < 120) return `No heartbeat for ${sec} s`;
  if (sec < 7200) return `No heartbeat for ${Math.floor(sec / 60)} min`;
  return `No heartbeat for ${Math.floor(sec / 3600)} h`;
}

/**
 * A node's status, unless nobody has heard from it within the failure detector's window
 * (`silentSec` set by the server): then its last status is not its health, and the badge says
 * how long it has been silent instead. A stale node is never shown "Healthy".
 */
export function NodeHealthBadge({ status, silentSec }: { status: string; silentSec: number | null }) {
  if (silentSec === null) return <StatusBadge status={status} />;
  return (
    <Badge tone="warning" dot>
      <span title={`Last known status: ${status.toLowerCase()}`}>{silenceText(silentSec)}</span>
    </Badge>
  );
}
