#!/usr/bin/env bash
# npm start: set up everything that is missing, then run the panel until Ctrl-C.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT="${PORT:-3000}"
setup_common
export DATABASE_URL="${DATABASE_URL:-$(ensure_database shoal)}"
export PANEL_URL="${PANEL_URL:-http://localhost:$PORT}"
export NODE_ENV=production

say "migrating the database"
migrate "$DATABASE_URL"
say "seeding demo data"
npx tsx prisma/seed.ts >"$VAR/demo-logins.txt"
say "building the panel"
NEXT_DIST_DIR=.next npx next build >"$VAR/next-build.log" 2>&1 || { tail -40 "$VAR/next-build.log"; die "next build failed (var/next-build.log)"; }

pids=()
stop() {
  trap - INT TERM EXIT
  say "stopping"
  # Each child leads its own process group (setsid), so the signal reaches its workers too.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

NEXT_DIST_DIR=.next setsid node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$PORT" >"$VAR/panel.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$PORT" 60 || { tail -40 "$VAR/panel.log"; die "the panel did not start (var/panel.log)"; }

cat "$VAR/demo-logins.txt"
cat <<MSG

  Shoal is running.  Panel: http://localhost:$PORT
  Reseller panels are the same server under their own hostnames (*.localhost resolves to this
  machine in Chromium and curl): http://panel.reseller-one.localhost:$PORT
  Logs: var/panel.log    Stop: Ctrl-C

MSG
wait "${pids[@]}"
