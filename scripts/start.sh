#!/usr/bin/env bash
# npm start: set up everything that is missing, then run the panel, two control workers and a local
# three-node cluster (scripts/cluster.sh) until Ctrl-C. Each of those processes runs under its own
# supervisor (scripts/supervise.sh), which starts it again, and says so here, if it dies.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/cluster.sh"

PORT="${PORT:-3000}"
setup_common
ensure_node_packages
ensure_cluster_secret
ensure_cluster_tls
export DATABASE_URL="${DATABASE_URL:-$(ensure_database shoal)}"
export PANEL_URL="${PANEL_URL:-http://localhost:$PORT}"
export NODE_ENV=production
# Every process logs JSON lines (server/observability/logger.ts); here they are written
# human-readable into var/*.log. SHOAL_LOG_PRETTY=0 npm start keeps the JSON.
export SHOAL_LOG_PRETTY="${SHOAL_LOG_PRETTY:-1}"

say "migrating the database"
migrate "$DATABASE_URL"
say "seeding demo data"
# The demo logins are passwords: written owner-only (a file from an earlier version is tightened).
(umask 077; npx tsx prisma/seed.ts >"$VAR/demo-logins.txt")
chmod 600 "$VAR/demo-logins.txt"

pids=()
cluster_started=0
stop() {
  trap - INT TERM EXIT
  say "stopping"
  # Each pid is a supervisor leading its own process group (setsid); it stops its child's group.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # The agents leave their nginx, php-fpm and MariaDB running on purpose (a restarted agent must
  # not interrupt the sites); stopping the whole cluster stops them too.
  if [ "$cluster_started" = 1 ]; then
    say "stopping the nodes' nginx, php-fpm, MariaDB and PowerDNS"
    stop_cluster_masters
    stop_pid_file "$VAR/pebble/pebble.pid" /usr/bin/pebble
    rm -f "$VAR"/node-*.pid "$VAR"/control*.pid "$VAR/panel.pid"
  fi
}
trap stop INT TERM EXIT

# A run killed without its trap leaves the panel, agents and masters holding their ports.
stop_pid_file "$VAR/panel.pid" next/dist/bin/next
stop_leftover_cluster
say "starting the nodes' agents on $(cluster_address 1)-$CLUSTER_SIZE"
cluster_started=1
start_cluster_agents

say "building the panel"
(use_panel_env; NEXT_DIST_DIR=.next exec npx next build) >"$VAR/next-build.log" 2>&1 || { tail -40 "$VAR/next-build.log"; die "next build failed (var/next-build.log)"; }

: >"$VAR/panel.log"
(use_panel_env; NEXT_DIST_DIR=.next exec setsid bash scripts/supervise.sh panel "$VAR/panel.log" node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$PORT") &
pids+=($!)
echo $! >"$VAR/panel.pid"
wait_port 127.0.0.1 "$PORT" 60 || { tail -40 "$VAR/panel.log"; die "the panel did not start (var/panel.log)"; }

wait_cluster_agents
register_cluster_nodes
start_pebble
start_control_worker

nodes_list=""
for ((i = 1; i <= CLUSTER_SIZE; i++)); do
  nodes_list+="    node-$i  $(cluster_address "$i")  front door :$CLUSTER_HTTP_PORT, SFTP $(cluster_address "$i"):$CLUSTER_SFTP_PORT, agent :$CLUSTER_AGENT_PORT, MariaDB :$CLUSTER_MYSQL_PORT, DNS $(cluster_address "$i"):53 UDP+TCP  (log var/node-$i.log, files $(cluster_root "$i"))"$'\n'
done
if [ "$CONTROL_WORKER_RUNNING" = 1 ]; then control_line="Control workers: $CONTROL_WORKERS running (var/control-N.log)"; else control_line="Control worker: NOT running (worker/control/main.ts does not exist yet)"; fi

cat "$VAR/demo-logins.txt"
cat <<MSG

  Shoal is running.  Panel: http://localhost:$PORT
  Reseller panels are the same server under their own hostnames (*.localhost resolves to this
  machine in Chromium and curl): http://panel.reseller-one.localhost:$PORT

  Cluster: $CLUSTER_SIZE nodes, each its own nginx front door, php-fpm, MariaDB and agent.
$nodes_list  $control_line
  Browse a hosted site through any node's front door (each forwards to the node that hosts it):
    curl -H 'Host: myblog.test' http://$(cluster_address 2)/
    chromium --host-resolver-rules="MAP *.test $(cluster_address 1)" http://myblog.test/
  Ask any node's DNS (PowerDNS, authoritative for every hosted domain):
    dig @$(cluster_address 1) myblog.test A +short

  SFTP to any node, as a hosting account (set its password or key on the panel's SFTP page; the
  host key is the cluster's, the same on every node):
    sftp -P $CLUSTER_SFTP_PORT <account>@$(cluster_address 1)

  Every process above runs under a supervisor that starts it again if it dies, and says so here.
  Logs: var/panel.log, var/control-N.log, var/node-N.log    Stop: Ctrl-C (stops the nodes too)
  Metrics (Prometheus, from this machine only): curl http://127.0.0.1:$PORT/metrics (panel),
    curl --cacert var/cluster-tls/ca.crt https://$(cluster_address 1):$CLUSTER_AGENT_PORT/metrics (node-1's agent); the control
    workers' addresses are their "metrics on" lines in var/control-N.log

MSG
wait "${pids[@]}"
