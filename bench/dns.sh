#!/usr/bin/env bash
# The DNS benchmark (bench/dns.ts) with what it needs from Debian: dnsperf, and the node's
# PowerDNS. Not part of npm test.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ensure_apt dnsperf pdns-server pdns-backend-bind bind9-dnsutils
exec npx tsx bench/dns.ts "$@"
