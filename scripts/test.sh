#!/usr/bin/env bash
# npm test: set up what is missing, run every tier, print one total line.
# Tiers: unit + integration (Vitest, real Postgres), e2e (Playwright on Debian's Chromium),
# cluster (tests/cluster, arrives with the node fleet). A tier that cannot even start counts as a
# failure, so a broken build can never look green.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RESULTS="$VAR/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
started=$(date +%s)

setup_common
ensure_apt chromium
# The cluster tier's netsplit (tests/cluster/harness.ts partition()): an nftables table on loopback.
ensure_apt nftables
# The agent's integration tests run real nginx, php-fpm and MariaDB masters.
ensure_node_packages
export SHOAL_TEST_PG="$PG_BASE_URL"
export SHOAL_TEST_TEMPLATE="shoal_test_template"
export NODE_ENV=test

say "unit and integration tests (Vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS/vitest.json" ||
  echo "vitest exited with $?" >"$RESULTS/vitest.failed"

say "end-to-end tests (Playwright, Chromium)"
e2e_ok=1
psql -w "$PG_BASE_URL/postgres" -qc 'DROP DATABASE IF EXISTS shoal_e2e WITH (FORCE)' >/dev/null
export DATABASE_URL="$(ensure_database shoal_e2e)"
migrate "$DATABASE_URL" || e2e_ok=0
[ "$e2e_ok" = 1 ] && { npx tsx prisma/seed.ts >"$RESULTS/e2e-seed.txt" 2>&1 || e2e_ok=0; }
if [ "$e2e_ok" = 1 ]; then
  say "building the panel for e2e"
  NEXT_DIST_DIR=.next-test npx next build >"$RESULTS/next-build.log" 2>&1 || {
    tail -40 "$RESULTS/next-build.log"
    e2e_ok=0
  }
fi
if [ "$e2e_ok" = 1 ]; then
  PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" npx playwright test --reporter=list,json ||
    echo "playwright exited with $?" >"$RESULTS/playwright.failed"
else
  echo "e2e set-up failed (migrate, seed or build); see above" | tee "$RESULTS/playwright.failed"
fi

if [ -d tests/cluster ] && ls tests/cluster/*.test.ts >/dev/null 2>&1; then
  say "cluster tests"
  npx vitest run --config tests/cluster/vitest.config.ts --reporter=default --reporter=json \
    --outputFile.json="$RESULTS/cluster.json" || echo "cluster exited with $?" >"$RESULTS/cluster.failed"
fi

node scripts/test-summary.mjs "$RESULTS" "$(( $(date +%s) - started ))"
