# The local cluster `npm start` runs: three nodes on one machine, each its own agent, front door
# (nginx), php-fpm and MariaDB on its own loopback address, plus two control workers, each process
# under its supervisor (scripts/supervise.sh). Sourced by scripts/start.sh after scripts/lib.sh (it
# uses say, warn, die, port_open, VAR and ROOT).
#
# Ports are the production ones (80, 8080, 3306, ...), each bound on the node's own address, so
# nothing clashes with another node or with the system MariaDB (which binds 127.0.0.1 only).
# The cluster test harness (tests/cluster/harness.ts) uses 127.0.2.x and other ports, so tests can
# run while this cluster is up.

# Overridable from the environment only to try these functions on other addresses; npm start
# itself always runs the cluster the README describes.
CLUSTER_SIZE="${CLUSTER_SIZE:-3}"
CLUSTER_ADDRESS_PREFIX="${CLUSTER_ADDRESS_PREFIX:-127.0.1.}"
CLUSTER_NODES_DIR="${CLUSTER_NODES_DIR:-/var/lib/shoal/nodes}"
CLUSTER_AGENT_PORT="${CLUSTER_AGENT_PORT:-7400}"
CLUSTER_HOLD_PORT="${CLUSTER_HOLD_PORT:-7401}"
CLUSTER_HTTP_PORT="${CLUSTER_HTTP_PORT:-80}"
CLUSTER_BACKEND_PORT="${CLUSTER_BACKEND_PORT:-8080}"
# Each node's SFTP gateway, on its address (worker/agent/sftp/).
CLUSTER_SFTP_PORT="${CLUSTER_SFTP_PORT:-2222}"
CLUSTER_MYSQL_PORT="${CLUSTER_MYSQL_PORT:-3306}"
# node-1's front door also listens here when it is free, so a browser reaches it at 127.0.0.1.
CLUSTER_EXTRA_LISTEN="${CLUSTER_EXTRA_LISTEN-127.0.0.1:80}"
# Site storage: each node's sites and snapshots on a btrfs file system in a loop image under its
# root (worker/agent/storage/), as production runs them. "dir" for the portable driver.
CLUSTER_STORAGE="${CLUSTER_STORAGE:-btrfs}"
CLUSTER_STORE_SIZE="${CLUSTER_STORE_SIZE:-2G}"

# Each node's agent token (derived from SHOAL_CLUSTER_SECRET), by node name.
declare -A CLUSTER_SECRETS=()

cluster_address() { echo "$CLUSTER_ADDRESS_PREFIX$1"; }
cluster_root() { echo "$CLUSTER_NODES_DIR/node-$1"; }

# node with the tsx loader: one process (not npx's two), so a pid file names the process itself.
tsx_node() { node --import tsx "$@"; }

# The cluster secret stays a variable of this shell, never exported: each process is handed what
# it needs explicitly. The control worker gets the secret itself (it derives every purpose's
# secrets), each agent only its own token, the panel only the app-admin key (use_panel_env).
ensure_cluster_secret() { # like ensure_auth_secret: kept in var/ so agent tokens survive restarts
  if [ -z "${SHOAL_CLUSTER_SECRET:-}" ]; then
    [ -f "$VAR/cluster-secret" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$VAR/cluster-secret")
    chmod 600 "$VAR/cluster-secret"
    SHOAL_CLUSTER_SECRET="$(cat "$VAR/cluster-secret")"
  fi
  [ "${#SHOAL_CLUSTER_SECRET}" -ge 32 ] || die "SHOAL_CLUSTER_SECRET must be at least 32 characters"
  # One given by the caller's environment would otherwise reach every child.
  export -n SHOAL_CLUSTER_SECRET
  SHOAL_APP_ADMIN_KEY="$(purpose_key app-admin)" || die "could not derive the app-admin key"
  export -n SHOAL_APP_ADMIN_KEY
  SHOAL_CERTIFICATE_KEY="$(purpose_key certificate-key)" || die "could not derive the certificate key"
  export -n SHOAL_CERTIFICATE_KEY
}

# The agent API's mutual TLS (server/contract/cluster-tls.ts): the cluster CA in var/cluster-ca
# (its key read by scripts/cluster/cluster-tls.ts alone) and the control workers' client identity
# in var/cluster-tls, made once and renewed near their end; each node's own identity is written
# into its root by start_cluster_agents. The panel gets none of them.
ensure_cluster_tls() { # openssl: setup_common installs it
  CLUSTER_CA_DIR="$VAR/cluster-ca" tsx_node scripts/cluster/cluster-tls.ts control "$VAR/cluster-tls" >"$VAR/cluster-tls.log" 2>&1 ||
    { cat "$VAR/cluster-tls.log"; die "could not make the cluster CA or the control plane's certificate (scripts/cluster/cluster-tls.ts)"; }
}

purpose_key() { # purpose_key PURPOSE : one purpose's key (server/contract/cluster-secrets.ts)
  SHOAL_CLUSTER_SECRET="$SHOAL_CLUSTER_SECRET" tsx_node scripts/cluster/purpose-key.ts "$1"
}

# The panel's environment, set in the (sub)shell that then execs the panel or its build: the
# app-admin key, and no cluster secret even if one was exported before this script ran. Used as
# `(use_panel_env; exec next ...) &`, so that $! is still the panel's own pid.
use_panel_env() {
  unset SHOAL_CLUSTER_SECRET
  export SHOAL_APP_ADMIN_KEY SHOAL_CERTIFICATE_KEY
}

# A pid file's process, if it is still alive and still runs `what` (pids are reused).
live_pid() { # live_pid file what
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

stop_pid_file() { # stop_pid_file file what : TERM its process group, KILL after 25 s
  local pid i
  pid="$(live_pid "$1" "$2")" || { rm -f "$1"; return 0; }
  say "stopping a leftover process from the last run (pid $pid, $2)"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  # Longer than a supervisor's own grace for its child (scripts/supervise.sh).
  for ((i = 0; i < 250; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$1"
}

# What a previous `npm start` left behind if it was killed without its trap running: agents and
# a control worker (each its own process group), and the node masters they started.
stop_leftover_cluster() {
  local file
  for file in "$VAR"/node-*.pid; do
    if [ -e "$file" ]; then stop_pid_file "$file" var/build/agent.mjs; fi
  done
  for file in "$VAR"/control-*.pid; do
    if [ -e "$file" ]; then stop_pid_file "$file" "supervise.sh control-"; fi
  done
  # The single, unsupervised worker of earlier versions.
  stop_pid_file "$VAR/control.pid" worker/control/main.ts
  stop_pid_file "$VAR/pebble/pebble.pid" /usr/bin/pebble
  stop_cluster_masters
}

stop_cluster_masters() {
  local roots=() i
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do roots+=("$(cluster_root "$i")"); done
  STOP_NODE_ROOTS="$(IFS=:; echo "${roots[*]}")" tsx_node scripts/cluster/stop-node.ts ||
    warn "some node masters did not stop; see above"
  # After the masters (php-fpm workers may sit in a site directory); the image stays for next time.
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    if mountpoint -q "$(cluster_root "$i")/store"; then
      umount "$(cluster_root "$i")/store" || warn "could not unmount $(cluster_root "$i")/store"
    fi
  done
}

# The storage driver of the node at root `$1`: btrfs, unless the cluster runs "dir" or the node
# already holds sites from a run before btrfs (its homes under root/home; moving them is not
# this script's business: delete the node root to start it afresh on btrfs).
node_storage() { # node_storage root
  if [ "$CLUSTER_STORAGE" != btrfs ]; then echo dir; return; fi
  if [ ! -e "$1/store.img" ] && [ -n "$(ls -A "$1/home" 2>/dev/null)" ]; then echo dir; return; fi
  echo btrfs
}

# A btrfs file system on a loop image at root/store (idempotent: made once, mounted if it is not).
ensure_node_store() { # ensure_node_store root
  local image="$1/store.img" store="$1/store" type
  mkdir -p "$store"
  # noatime: a read changes nothing on disk (worker/agent/storage/loop-store.ts says why).
  if mountpoint -q "$store"; then
    findmnt -no OPTIONS "$store" | grep -qw noatime || mount -o remount,noatime "$store" || warn "could not remount $store noatime"
    return 0
  fi
  [ -e "$image" ] || (umask 077; truncate -s "$CLUSTER_STORE_SIZE" "$image")
  # Every account's files are in it: root's alone (an image from an earlier version too).
  chmod 600 "$image"
  type="$(blkid -p -o value -s TYPE "$image" 2>/dev/null || true)"
  if [ -z "$type" ]; then
    mkfs.btrfs -q "$image" >/dev/null || die "mkfs.btrfs failed on $image"
  elif [ "$type" != btrfs ]; then
    die "$image holds a $type file system, not btrfs; refusing to touch it"
  fi
  mount -o loop,noatime "$image" "$store" || die "could not mount $image on $store"
}

# Runs COMMAND under scripts/supervise.sh, which starts it again whenever it exits: NAME in its
# messages, output to LOG (emptied first). The supervisor's pid goes into the caller's `pids` array
# (the trap in start.sh signals it, and it stops its child) and into PIDFILE for the next start.
# The environment this is called with is the child's.
supervised() { # supervised NAME LOG PIDFILE COMMAND...
  local name="$1" log="$2" pidfile="$3"
  shift 3
  : >"$log"
  setsid bash "$ROOT/scripts/supervise.sh" "$name" "$log" "$@" &
  pids+=($!)
  echo $! >"$pidfile"
}

# Starts the agents in the background, each under its supervisor (see supervised).
start_cluster_agents() {
  tsx_node scripts/cluster/build-agent.ts || die "could not bundle the agent (scripts/cluster/build-agent.ts)"
  [ "$(id -u)" = 0 ] || die "the local cluster's agents run as root (they create Unix users and own nginx, php-fpm and MariaDB): run npm start as root"
  local i names=() name secret address root extra storage tls_args=()
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do names+=("node-$i"); done
  while read -r name secret; do CLUSTER_SECRETS[$name]="$secret"; done < <(SHOAL_CLUSTER_SECRET="$SHOAL_CLUSTER_SECRET" tsx_node scripts/cluster/agent-secrets.ts "${names[@]}")
  mkdir -p "$CLUSTER_NODES_DIR"
  # www-data, mysql and the account users must traverse down to their directories.
  chmod 755 "$(dirname "$CLUSTER_NODES_DIR")" "$CLUSTER_NODES_DIR"
  # Each node's certificate for its address, in its root (the agent's AGENT_TLS_DIR default).
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do tls_args+=(node "node-$i" "$(cluster_address "$i")" "$(cluster_root "$i")/tls"); done
  CLUSTER_CA_DIR="$VAR/cluster-ca" tsx_node scripts/cluster/cluster-tls.ts "${tls_args[@]}" >>"$VAR/cluster-tls.log" 2>&1 ||
    { cat "$VAR/cluster-tls.log"; die "could not issue the nodes' certificates (scripts/cluster/cluster-tls.ts)"; }
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    address="$(cluster_address "$i")"
    root="$(cluster_root "$i")"
    mkdir -p "$root"
    chmod 755 "$root"
    storage="$(node_storage "$root")"
    if [ "$storage" = btrfs ]; then
      ensure_node_store "$root"
    elif [ "$CLUSTER_STORAGE" = btrfs ]; then
      warn "node-$i keeps its sites in plain directories (they predate btrfs storage); delete $root to move it to btrfs"
    fi
    extra=""
    # So a browser can reach the edge at 127.0.0.1 (and *.localhost names) without a resolver rule.
    if [ "$i" = 1 ] && [ -n "$CLUSTER_EXTRA_LISTEN" ]; then
      if port_open "${CLUSTER_EXTRA_LISTEN%:*}" "${CLUSTER_EXTRA_LISTEN##*:}"; then
        warn "$CLUSTER_EXTRA_LISTEN is taken by another program: node-1's front door listens on $address only"
      else
        extra="$CLUSTER_EXTRA_LISTEN"
      fi
    fi
    [ -n "${CLUSTER_SECRETS[node-$i]:-}" ] || die "could not derive node-$i's agent secret"
    AGENT_HOST="$address" AGENT_PORT="$CLUSTER_AGENT_PORT" AGENT_SECRET="${CLUSTER_SECRETS[node-$i]}" \
      NODE_ROOT="$root" NODE_HTTP_PORT="$CLUSTER_HTTP_PORT" NODE_BACKEND_PORT="$CLUSTER_BACKEND_PORT" \
      NODE_HOLD_PORT="$CLUSTER_HOLD_PORT" NODE_SFTP_PORT="$CLUSTER_SFTP_PORT" NODE_MYSQL_PORT="$CLUSTER_MYSQL_PORT" NODE_EXTRA_LISTEN="$extra" \
      NODE_TRUSTED_PROXIES="${CLUSTER_ADDRESS_PREFIX}0/24" NODE_STORAGE="$storage" NODE_PRIVATE_PATHS="$VAR" \
      supervised "node-$i" "$VAR/node-$i.log" "$VAR/node-$i.pid" node --max-semi-space-size=2 "$ROOT/var/build/agent.mjs"
  done
}

agent_health() { # agent_health N : the agent's /v1/health over TLS, signed with its own token (not on argv)
  port_open "$(cluster_address "$1")" "$CLUSTER_AGENT_PORT" || return 1
  printf '%s' "${CLUSTER_SECRETS[node-$1]}" |
    SHOAL_CLUSTER_TLS_DIR="$VAR/cluster-tls" tsx_node scripts/cluster/agent-health.ts "$(cluster_address "$1")" "$CLUSTER_AGENT_PORT" >/dev/null 2>&1
}

wait_cluster_agents() {
  local i n
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do
    for ((n = 0; n < 600; n++)); do
      agent_health "$i" && break
      kill -0 "$(cat "$VAR/node-$i.pid")" 2>/dev/null || { tail -20 "$VAR/node-$i.log"; die "node-$i's agent's supervisor exited (var/node-$i.log)"; }
      sleep 0.1
    done
    agent_health "$i" || { tail -20 "$VAR/node-$i.log"; die "node-$i's agent did not answer /v1/health (var/node-$i.log)"; }
  done
}

register_cluster_nodes() {
  local i args=()
  for ((i = 1; i <= CLUSTER_SIZE; i++)); do args+=("node-$i=$(cluster_address "$i")"); done
  AGENT_PORT="$CLUSTER_AGENT_PORT" NODE_HTTP_PORT="$CLUSTER_HTTP_PORT" NODE_BACKEND_PORT="$CLUSTER_BACKEND_PORT" NODE_SFTP_PORT="$CLUSTER_SFTP_PORT" \
    tsx_node scripts/cluster/register-local-nodes.ts "${args[@]}" >"$VAR/register-nodes.log" 2>&1 ||
    { cat "$VAR/register-nodes.log"; die "could not register the nodes in Postgres"; }
}

# The local ACME server (Debian's pebble, scripts/cluster/pebble.ts): the control workers order
# every site's certificate from it, and nothing contacts a public CA. It resolves names through
# node-1's PowerDNS and fetches HTTP-01 answers from the front doors' port 80. Pebble makes a new
# root at every start: var/pebble/root.pem is what a browser or curl must trust (curl --cacert).
start_pebble() {
  ensure_apt pebble
  stop_pid_file "$VAR/pebble/pebble.pid" /usr/bin/pebble
  SHOAL_ACME_DIRECTORY_URL="$(tsx_node scripts/cluster/pebble.ts "$VAR/pebble" "${SHOAL_ACME_DNS_SERVER:-127.0.1.1:53}" "${NODE_HTTP_PORT:-80}")" ||
    die "pebble did not start (scripts/cluster/pebble.ts; see var/pebble/pebble.log)"
  say "ACME (Pebble) at $SHOAL_ACME_DIRECTORY_URL; its root for issued certificates: var/pebble/root.pem"
}

# Two control workers, so that one dying (or being restarted by its supervisor) stops nothing: they
# share the queues, and a node's reconcile or a schedule's round runs under a lease (node-lock.ts).
CONTROL_WORKERS="${CONTROL_WORKERS:-2}"
CONTROL_WORKER_RUNNING=0
start_control_worker() {
  if [ ! -f worker/control/main.ts ]; then
    warn "worker/control/main.ts does not exist yet: no control worker runs, so nothing is deployed to the nodes"
    return 0
  fi
  local j
  # Bundled like the agent, so a restarted worker is back within a couple of seconds.
  tsx_node scripts/cluster/build-agent.ts control || die "could not bundle the control worker (scripts/cluster/build-agent.ts)"
  for ((j = 1; j <= CONTROL_WORKERS; j++)); do
    # /metrics on a free loopback port, which the worker logs ("metrics on http://127.0.0.1:N/metrics").
    SHOAL_CLUSTER_SECRET="$SHOAL_CLUSTER_SECRET" SHOAL_CLUSTER_TLS_DIR="$VAR/cluster-tls" \
    SHOAL_ACME_DIRECTORY_URL="${SHOAL_ACME_DIRECTORY_URL:-}" SHOAL_ACME_CA_FILE="$VAR/pebble/listener-ca.pem" SHOAL_QUEUE_PREFIX="${SHOAL_QUEUE_PREFIX:-shoal}" SHOAL_METRICS_PORT="${SHOAL_METRICS_PORT:-0}" \
      supervised "control-$j" "$VAR/control-$j.log" "$VAR/control-$j.pid" node "$ROOT/var/build/control.mjs"
  done
  CONTROL_WORKER_RUNNING=1
}
