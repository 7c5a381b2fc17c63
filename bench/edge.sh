#!/usr/bin/env bash
# The front-door benchmark (bench/edge.ts) with what it needs from Debian: wrk, and the node's
# nginx and php-fpm. Not part of npm test.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ensure_apt wrk nginx php8.2-fpm
exec npx tsx bench/edge.ts "$@"
