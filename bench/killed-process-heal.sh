#!/usr/bin/env bash
# Time to heal from a killed process, on a running `npm start` cluster (run it from the same
# checkout, while `npm start` runs, holding the cluster lock as npm start does):
#
#   DATABASE_URL=postgresql://... bash bench/killed-process-heal.sh [node number] [control worker number]
#
# Kills control worker N (default 1) with -9 and waits until its supervisor's replacement has
# started consuming ("control worker started" in var/control-N.log) and has finished a job, then
# kills node M's agent (default: the node serving HOST) with -9 and waits until the replacement
# answers on its port and its first heartbeat is recorded. Meanwhile it requests HOST (default
# myblog.test, which must exist) through node-1's front door every 50 ms and counts the failures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${DATABASE_URL:?set DATABASE_URL to the database of npm start}"
HOST="${HOST:-myblog.test}"
PREFIX="${CLUSTER_ADDRESS_PREFIX:-127.0.1.}"
AGENT_PORT="${CLUSTER_AGENT_PORT:-7400}"
sql() { psql -w "$DATABASE_URL" -qtAc "$1"; }
now_ms() { local us="${EPOCHREALTIME//[!0-9]/}"; echo $((us / 1000)); }
child_of() { # child_of SUPERVISOR_PID PATTERN : the supervised process
  local pid
  for pid in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"; then echo "$pid"; return 0; fi
  done
  return 1
}

worker="${2:-1}"
live_node() {
  sql "select substring(n.name from 6) from \"Placement\" p join \"Node\" n on n.id = p.\"nodeId\" join \"Site\" s on s.id = p.\"siteId\" join \"Domain\" d on d.id = s.\"domainId\" where p.role = 'PRIMARY' and d.name = '$HOST'"
}
node="${1:-}"
if [ -z "$node" ]; then node="$(live_node)"; fi
[ -n "$node" ] || { echo "no live node for $HOST: create the site first" >&2; exit 1; }

probe_out="$(mktemp)"
(
  ok=0 bad=0 end=$(($(now_ms) + 25000))
  while (($(now_ms) < end)); do
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "Host: $HOST" "http://${PREFIX}1/" || true)"
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    sleep 0.05
  done
  echo "requests to $HOST through node-1's front door meanwhile: $ok answered 200, $bad did not"
) >"$probe_out" &
probe=$!

log="var/control-$worker.log"
supervisor="$(cat "var/control-$worker.pid")"
old="$(child_of "$supervisor" var/build/control.mjs)"
started_before="$(grep -c "control worker started" "$log" || true)"
t0="$(now_ms)"
kill -KILL "$old"
until (($(grep -c "control worker started" "$log" || true) > started_before)); do sleep 0.02; done
t1="$(now_ms)"
new="$(child_of "$supervisor" var/build/control.mjs)"
echo "control-$worker: killed pid $old; pid $new consuming after $((t1 - t0)) ms"
# Its first finished job (the heartbeat ticks every 0.5 s), counted on its own /metrics.
metrics="$(grep -o 'metrics on http://[^ ]*/metrics' "$log" | tail -1 | cut -d' ' -f3)"
jobs_done() { curl -s -m 1 "$metrics" | awk '/^shoal_job_duration_seconds_count/ { n += $2 } END { print n + 0 }'; }
until (($(jobs_done) > 0)); do sleep 0.02; done
echo "control-$worker: its first job finished $(($(now_ms) - t0)) ms after the kill"

supervisor="$(cat "var/node-$node.pid")"
old="$(child_of "$supervisor" var/build/agent.mjs)"
t0="$(now_ms)"
kill -KILL "$old"
until new="$(child_of "$supervisor" var/build/agent.mjs)" && [ "$new" != "$old" ] &&
  [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$PREFIX$node:$AGENT_PORT/v1/health")" != 000 ]; do sleep 0.02; done
t1="$(now_ms)"
echo "node-$node agent: killed pid $old; pid $new answering after $((t1 - t0)) ms"
until (($(sql "select (extract(epoch from \"lastHeartbeatAt\") * 1000)::bigint from \"Node\" where name = 'node-$node'") > t1)); do sleep 0.1; done
echo "node-$node: first heartbeat from the new agent recorded $(($(now_ms) - t0)) ms after the kill"
wait "$probe"
cat "$probe_out"
rm -f "$probe_out"
