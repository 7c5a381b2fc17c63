# Shared set-up for `npm start` and `npm test`, sourced by scripts/start.sh and scripts/test.sh.
# Every step is idempotent: it checks first and only installs or starts what is missing, so the
# same commands work on a fresh Debian 12 machine (as root) and on one where services already run.
# Honoured when set: DATABASE_URL (an existing Postgres; we never touch its server), REDIS_URL.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VAR="$ROOT/var"
mkdir -p "$VAR"
# var/ holds secrets (auth-secret, cluster-secret), the demo logins and logs: the owner's alone.
# The chmod also tightens a var/ made by an earlier version.
chmod 700 "$VAR"

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m!!\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31mxx\033[0m %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

APT_UPDATED=0
ensure_apt() { # ensure_apt pkg... : install the Debian packages that are not installed yet
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}); run as root or install them"
  say "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_node_deps() {
  # Reinstall when package.json or the lockfile changed since the last install.
  local stamp="node_modules/.shoal-install-stamp" want
  want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "npm install"
    # `npm ci` rejects this lockfile here; install scripts are denied in package.json.
    flock /tmp/shoal-npm.lock npm install --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_BASE_URL="${DATABASE_URL%/*}"
    return 0
  fi
  if ! port_open 127.0.0.1 5432; then
    ensure_apt postgresql
    local version
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_port 127.0.0.1 5432 30 || die "PostgreSQL did not start on 127.0.0.1:5432"
  fi
  if psql -w "postgresql://postgres@127.0.0.1:5432/postgres" -qtAc "select 1" >/dev/null 2>&1; then
    PG_BASE_URL="postgresql://postgres@127.0.0.1:5432"
  else
    # A stock Debian cluster asks for a password on TCP; make our own role over the local socket.
    if ! psql -w "postgresql://shoal:shoal@127.0.0.1:5432/postgres" -qtAc "select 1" >/dev/null 2>&1; then
      say "creating PostgreSQL role shoal"
      runuser -u postgres -- psql -qc "CREATE ROLE shoal LOGIN CREATEDB PASSWORD 'shoal'" ||
        die "could not create the shoal role in PostgreSQL"
    fi
    PG_BASE_URL="postgresql://shoal:shoal@127.0.0.1:5432"
  fi
}

ensure_database() { # ensure_database name : create it if missing, print its URL
  local name="$1"
  if ! psql -w "$PG_BASE_URL/postgres" -qtAc "select 1 from pg_database where datname = '$name'" | grep -q 1; then
    psql -w "$PG_BASE_URL/postgres" -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
  echo "$PG_BASE_URL/$name"
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then return 0; fi
  if ! port_open 127.0.0.1 6379; then
    ensure_apt redis-server
    say "starting Redis"
    # Persistent, as a production Redis should be: an append-only file fsynced every second
    # (var/redis/), so a restart keeps the queues and the schedules. The control workers also
    # rebuild them after a restart that lost them (worker/control/schedule-keeper.ts). On a Redis
    # you run yourself, set `appendonly yes` and `appendfsync everysec` in its configuration.
    mkdir -p "$VAR/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' \
      --appendonly yes --appendfsync everysec \
      --dir "$VAR/redis" --logfile "$VAR/redis.log"
    wait_port 127.0.0.1 6379 10 || die "Redis did not start on 127.0.0.1:6379"
  fi
  export REDIS_URL="redis://127.0.0.1:6379"
}

ensure_auth_secret() {
  if [ -z "${AUTH_SECRET:-}" ]; then
    [ -f "$VAR/auth-secret" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$VAR/auth-secret")
    chmod 600 "$VAR/auth-secret"
    AUTH_SECRET="$(cat "$VAR/auth-secret")"
    export AUTH_SECRET
  fi
}

prisma() {
  # allowExitOnIdle (scripts/prisma-migrate-adapter.ts) and this preload stop the CLI lingering.
  NODE_OPTIONS="--require $ROOT/scripts/unref-timers.cjs" node "$ROOT/node_modules/prisma/build/index.js" "$@"
}

generate_client() {
  # `prisma generate` needs DATABASE_URL set, to any value, or it reaches for a native engine.
  DATABASE_URL="${DATABASE_URL:-postgresql://unused@127.0.0.1/unused}" prisma generate >/dev/null
}

migrate() { # migrate URL
  DATABASE_URL="$1" prisma migrate deploy >/dev/null
}

setup_common() {
  ensure_node_deps
  # Issues the cluster CA's certificates (scripts/cluster/cluster-ca.ts), for npm start and tests.
  ensure_apt openssl
  # The local ACME server the HTTPS tests and `npm start` order certificates from.
  ensure_apt pebble
  ensure_postgres
  ensure_redis
  ensure_auth_secret
  generate_client
}

# What a node needs (nginx, php-fpm, MariaDB, WordPress): ensure_node_packages.
source "$ROOT/scripts/node-lib.sh"
