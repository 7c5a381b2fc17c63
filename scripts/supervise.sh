#!/usr/bin/env bash
# supervise.sh NAME LOG COMMAND [ARG...]
#
# Keeps one process of the local cluster running: COMMAND runs in a process group of its own
# (setsid), its output appended to LOG, and whenever it exits it is started again after a pause
# that doubles from 0.5 s up to 10 s while it keeps failing, and is 0.5 s again once a run has
# lasted 30 s. Each exit and restart is said on this script's output (the terminal of `npm start`)
# and in LOG: "control-2 exited (signal SIGKILL); restarting in 0.5 s".
#
# SIGTERM, SIGINT or SIGHUP stop it: COMMAND's group gets SIGTERM (SIGKILL after
# SHOAL_SUPERVISE_GRACE seconds, default 20) and the script exits once COMMAND has. Start it with
# setsid, so that it leads its own group too: a signal to that group reaches it alone, and it
# stops its child in turn.
#
# scripts/cluster.sh runs the agents, the control workers and the panel of `npm start` under it, one
# supervisor each (the environment it is started with is COMMAND's: secrets never go on a command
# line). Real machines use the systemd units in deploy/ instead.
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: supervise.sh NAME LOG COMMAND [ARG...]" >&2
  exit 2
fi
name="$1"
log="$2"
shift 2

# Milliseconds; overridable so a test can watch the backoff reset without waiting 30 s.
first_ms="${SHOAL_SUPERVISE_FIRST_MS:-500}"
max_ms="${SHOAL_SUPERVISE_MAX_MS:-10000}"
stable_ms="${SHOAL_SUPERVISE_STABLE_MS:-30000}"
grace_s="${SHOAL_SUPERVISE_GRACE:-20}"

now_ms() { local us="${EPOCHREALTIME//[!0-9]/}"; echo $((us / 1000)); }
seconds() { if (($1 % 1000 == 0)); then echo "$(($1 / 1000)) s"; else printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); fi; }
say() {
  local line
  line="$(date -u +%H:%M:%S) supervise: $*"
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$log"
}

# Whether the child still runs: not gone and not a zombie waiting for this script's `wait`.
running() {
  local stat
  stat="$(cat "/proc/$child/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

child=""
stopping=0
stop() {
  stopping=1
  if [ -n "$child" ]; then kill -TERM -- "-$child" 2>/dev/null || true; fi
}
trap stop TERM INT HUP

delay_ms="$first_ms"
restarts=0
while :; do
  started_ms="$(now_ms)"
  setsid "$@" >>"$log" 2>&1 </dev/null &
  child=$!
  # A stop that came before $child was known signalled nothing: pass it on now.
  if [ "$stopping" = 1 ]; then stop; fi
  if ((restarts > 0)); then say "$name is running again (pid $child)"; fi
  wait "$child" 2>/dev/null
  status=$?
  if [ "$stopping" = 1 ]; then
    # The stop signal interrupted `wait`: give the child its grace, then make sure.
    deadline=$(($(now_ms) + grace_s * 1000))
    while running && (($(now_ms) < deadline)); do sleep 0.1; done
    if running; then
      say "$name did not stop within $grace_s s of SIGTERM; killing it"
      kill -KILL -- "-$child" 2>/dev/null || true
    fi
    wait "$child" 2>/dev/null
    exit 0
  fi
  if ((status > 128)); then how="signal SIG$(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128)))"; else how="code $status"; fi
  # Whatever the child left in its group (a worker it forked) goes with it.
  kill -KILL -- "-$child" 2>/dev/null || true
  child=""
  if (($(now_ms) - started_ms >= stable_ms)); then delay_ms="$first_ms"; fi
  say "$name exited ($how); restarting in $(seconds "$delay_ms")"
  # In the background, so that a stop signal interrupts the pause at once.
  sleep "$(seconds "$delay_ms" | cut -d' ' -f1)" &
  pause=$!
  wait "$pause" 2>/dev/null
  if [ "$stopping" = 1 ]; then
    kill "$pause" 2>/dev/null
    exit 0
  fi
  delay_ms=$((delay_ms * 2 > max_ms ? max_ms : delay_ms * 2))
  restarts=$((restarts + 1))
done
