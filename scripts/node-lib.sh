# What a Shoal node needs from Debian. Sourced by scripts/lib.sh, after it defines ensure_apt, say
# and warn. Every function is idempotent: it checks first and only changes what is missing.
#
# A node's agent runs its own nginx, php-fpm and MariaDB masters under a node root (one per node,
# each on its own loopback address in the local cluster), so the services Debian starts when the
# packages are installed are never needed: they would only hold :80 and the default sockets.

# The system services the node packages bring (their /etc/init.d names).
NODE_SYSTEM_SERVICES=(nginx php8.2-fpm)

node_packages_web=(nginx php8.2-fpm php8.2-mysql php8.2-gd php8.2-cli)
node_packages_db=(mariadb-server mariadb-client)
# Site storage: subvolumes, snapshots and send/receive (worker/agent/storage/btrfs-driver.ts).
node_packages_storage=(btrfs-progs)
# Confinement of each account's processes: nftables for the egress rules
# (worker/agent/drivers/egress.ts); unshare and setpriv come with util-linux.
node_packages_confine=(nftables util-linux)
# Authoritative DNS on every node: PowerDNS with the bind backend, the zone files written by the
# agent (worker/agent/drivers/pdns.ts); dig for the tests, benches and operators.
node_packages_dns=(pdns-server pdns-backend-bind bind9-dnsutils)
# The SFTP gateway (worker/agent/sftp/) runs OpenSSH's sftp-server per session; ssh-keygen makes the
# cluster's host key (scripts/cluster/cluster-ca.ts) and the tests use the sftp client.
node_packages_sftp=(openssh-sftp-server openssh-client)
# After the web packages: apt satisfies wordpress's "php" dependency with apache2 + mod_php when
# php-fpm is not installed yet or in the same transaction.
node_packages_apps=(wordpress wordpress-theme-twentytwentythree dokuwiki)

ensure_node_packages() {
  ensure_apt "${node_packages_web[@]}" "${node_packages_db[@]}" "${node_packages_storage[@]}" "${node_packages_confine[@]}" "${node_packages_dns[@]}" "${node_packages_sftp[@]}"
  ensure_apt "${node_packages_apps[@]}"
  stop_system_node_services
  stop_system_pdns
}

# Stops and disables Debian's own nginx and php-fpm services if an install started them. MariaDB's
# system server is left alone: on the project's machines it is shared infrastructure,
# and the agent's per-node mariadbd uses its own data directory, socket and port, so it never
# competes with it.
stop_system_node_services() {
  local service
  for service in "${NODE_SYSTEM_SERVICES[@]}"; do
    [ -x "/etc/init.d/$service" ] || continue
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      if systemctl is-enabled --quiet "$service" 2>/dev/null || systemctl is-active --quiet "$service" 2>/dev/null; then
        say "disabling the system $service service (each node runs its own)"
        systemctl disable --now --quiet "$service" || warn "could not disable $service"
      fi
    elif system_service_running "$service"; then
      say "stopping the system $service service (each node runs its own)"
      "/etc/init.d/$service" stop >/dev/null || warn "could not stop $service"
    fi
  done
}

# Whether the system (not a node's) master of a service runs: judged by Debian's default pid files,
# which a node's masters never use.
system_service_running() {
  local pidfile
  case "$1" in
    nginx) pidfile=/run/nginx.pid ;;
    php8.2-fpm) pidfile=/run/php/php8.2-fpm.pid ;;
    *) return 1 ;;
  esac
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Debian's pdns service (a systemd unit only) would answer on every address's port 53; each node
# runs its own pdns_server on its own address instead.
stop_system_pdns() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet pdns 2>/dev/null || systemctl is-active --quiet pdns 2>/dev/null; then
      say "disabling the system pdns service (each node runs its own)"
      systemctl disable --now --quiet pdns || warn "could not disable pdns"
    fi
  fi
}
